{#- Tier, profit band, quadrant, churn status and key-account score of every customer
    at every month end in the data, recomputed from dated facts with the same rules as
    customer_value (macros/rules.sql), so the history can be rebuilt or backfilled at
    any time. -#}
{{ history_config() }}
with

ordering as (
    -- Ordering facts and the key-account score before the churn penalty.
    select * from {{ ref('int_customer_month_end_scores') }} {{ recomputed_months_only() }}
),

value as (
    select * from {{ ref('int_customer_month_end_value') }} {{ recomputed_months_only() }}
),

one_time_thresholds as (
    -- The one-time-buyer gaps as they stood on each month end.
    select * from {{ ref('int_one_time_buyer_thresholds_history') }} {{ recomputed_months_only() }}
),

facts as (
    select
        ordering.customer_id,
        ordering.month_end,
        ordering.first_order_date,
        ordering.last_order_date,
        ordering.order_days,
        ordering.typical_gap_days,
        {{ dbt.datediff('ordering.last_order_date', 'ordering.month_end', 'day') }} as recency_days,
        coalesce(value.orders_window, 0) as orders_window,
        coalesce(value.net_revenue_window, 0) as net_revenue_window,
        coalesce(value.gross_profit_window, 0) as gross_profit_window,
        value.revenue_ranked_before,
        value.revenue_ranked_total,
        value.profit_rank,
        value.profit_ranked_customers,
        one_time_thresholds.one_time_at_risk_gap,
        one_time_thresholds.one_time_churn_gap,
        ordering.key_account_base_score
    from ordering
    left join value
        on ordering.customer_id = value.customer_id
        and ordering.month_end = value.month_end
    left join one_time_thresholds
        on ordering.month_end = one_time_thresholds.month_end
),

classified as (
    select
        facts.*,
        {{ pareto_tier('net_revenue_window', 'revenue_ranked_before', 'revenue_ranked_total') }}
            as pareto_tier,
        {{ profit_band('profit_rank', 'profit_ranked_customers') }} as profit_band,
        {{ at_risk_threshold('order_days', 'typical_gap_days', 'one_time_at_risk_gap') }}
            as at_risk_after_days,
        {{ churn_threshold('order_days', 'typical_gap_days', 'one_time_churn_gap') }}
            as churn_after_days
    from facts
),

statuses as (
    select
        classified.*,
        {{ quadrant('first_order_date', 'orders_window > 0', 'pareto_tier', 'month_end') }} as quadrant,
        {{ churn_status('first_order_date', 'recency_days', 'at_risk_after_days', 'churn_after_days') }}
            as churn_status
    from classified
),

penalised as (
    select
        statuses.*,
        {{ key_account_penalty('churn_status') }} as churn_penalty
    from statuses
),

final as (
    select
        month_end,
        customer_id,
        pareto_tier,
        profit_band,
        quadrant,
        churn_status,
        first_order_date,
        last_order_date,
        recency_days,
        orders_window,
        net_revenue_window,
        gross_profit_window,
        {{ key_account_score('key_account_base_score', 'churn_penalty') }} as key_account_score,
        {{ is_key_account('key_account_base_score', 'churn_penalty') }} as is_key_account
    from penalised
)

select * from final
