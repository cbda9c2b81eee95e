{#- The key-account score before the churn penalty, at every month end, of every
    customer with an order on or before it: the percentile ranks customer_value takes
    on as_of_date, taken among that month end's customers with orders, weighted by the
    rule of macros/rules.sql. A percentile rank is the share of the other customers
    with a lower value, ties sharing the lowest rank (percent_rank). Only growth is
    sorted customer by customer, on a narrow row (a month end's customers are sorted
    together, so a wide row would not fit at scale); the ranks of the whole-number
    measures are looked up in int_customer_month_end_rank_counts and the profit rank is
    read from the profit ranking of int_customer_month_end_value: a sort of every row
    saved for each. -#}
{{ history_config() }}
with

ordering as (
    select * from {{ ref('int_customer_month_end_orders') }} {{ recomputed_months_only() }}
),

value as (
    select * from {{ ref('int_customer_month_end_value') }} {{ recomputed_months_only() }}
),

rank_counts as (
    select * from {{ ref('int_customer_month_end_rank_counts') }} {{ recomputed_months_only() }}
),

buyers as (
    select
        ordering.month_end,
        ordering.customer_id,
        {{ dbt.datediff('ordering.first_order_date', 'ordering.month_end', 'day') }} as tenure_days,
        ordering.active_months_window,
        ordering.referrals_made,
        ordering.interactions_window,
        coalesce(value.net_revenue_window, 0) - ordering.net_revenue_prior_window as growth,
        value.customer_id is not null as has_window_order,
        value.gross_profit_window > 0 as is_profitable,
        value.profit_at_least_customers
    from ordering
    left join value
        on ordering.customer_id = value.customer_id
        and ordering.month_end = value.month_end
    where ordering.first_order_date is not null
),

growth_ranked as (
    -- The one sort.
    select
        buyers.*,
        percent_rank() over (partition by buyers.month_end order by buyers.growth) as growth_pct
    from buyers
),

{% set counted = ['tenure_days', 'active_months_window', 'referrals_made', 'interactions_window'] -%}
counts as (
    select
        growth_ranked.month_end,
        growth_ranked.customer_id,
        growth_ranked.growth_pct,
        tenure_days_counts.buyers,
        {% for measure in counted -%}
        {{ measure }}_counts.customers_below as {{ measure }}_below,
        {% endfor -%}
        case
            when not growth_ranked.has_window_order then tenure_days_counts.loss_makers
            -- Window buyers with less profit, and, above 0, every buyer without one.
            else tenure_days_counts.window_buyers - growth_ranked.profit_at_least_customers
                + case
                    when growth_ranked.is_profitable
                        then tenure_days_counts.buyers - tenure_days_counts.window_buyers
                    else 0
                end
        end as profit_below
    from growth_ranked
    {% for measure in counted -%}
    inner join rank_counts as {{ measure }}_counts
        on growth_ranked.month_end = {{ measure }}_counts.month_end
        and {{ measure }}_counts.measure = '{{ measure }}'
        and growth_ranked.{{ measure }} = {{ measure }}_counts.measure_value
    {% endfor %}
),

ranked as (
    -- percent_rank from the counts: the buyers below over the other buyers.
    select
        month_end,
        customer_id,
        {% for below, pct in [
            ('profit_below', 'profit_pct'),
            ('tenure_days_below', 'tenure_pct'),
            ('active_months_window_below', 'stability_pct'),
            ('referrals_made_below', 'referrals_pct'),
            ('interactions_window_below', 'engagement_pct')] -%}
        case when buyers > 1 then {{ below }} / cast(buyers - 1 as {{ type_double() }}) else 0 end as {{ pct }},
        {% endfor -%}
        growth_pct
    from counts
),

final as (
    select
        month_end,
        customer_id,
        profit_pct,
        tenure_pct,
        stability_pct,
        growth_pct,
        referrals_pct,
        engagement_pct,
        {{ key_account_base_score('profit_pct', 'tenure_pct', 'stability_pct', 'growth_pct', 'referrals_pct',
                                  'engagement_pct') }} as key_account_base_score
    from ranked
)

select * from final
