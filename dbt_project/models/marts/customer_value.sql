{#- One row per customer known to CRM or sales: the facts as of as_of_date and every
    classification a manager acts on (SPEC.md section 4). No phone, email or birthday;
    the name only when publish_customer_names is on. -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

customers as (
    select * from {{ ref('int_customers__known') }}
),

customer_orders as (
    select * from {{ ref('int_customer_orders') }}
),

engagement as (
    select * from {{ ref('int_customer_engagement') }}
),

one_time_thresholds as (
    select * from {{ ref('int_one_time_buyer_thresholds') }}
),

strategies as (
    select * from {{ ref('quadrant_strategies') }}
),

joined as (
    select
        customers.customer_id,
        customers.customer_name,
        customers.customer_type,
        customers.industry,
        customers.region,
        customers.city,
        customers.acquisition_channel,
        customers.account_manager,
        customers.membership_level,
        customers.is_known_to_crm,
        customer_orders.first_order_channel,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        customer_orders.tenure_days,
        customer_orders.recency_days,
        coalesce(customer_orders.order_days, 0) as order_days,
        coalesce(customer_orders.orders_lifetime, 0) as orders_lifetime,
        coalesce(customer_orders.orders_window, 0) as orders_window,
        coalesce(customer_orders.net_revenue_lifetime, 0) as net_revenue_lifetime,
        coalesce(customer_orders.net_revenue_window, 0) as net_revenue_window,
        coalesce(customer_orders.net_revenue_prior_window, 0) as net_revenue_prior_window,
        coalesce(customer_orders.gross_profit_lifetime, 0) as gross_profit_lifetime,
        coalesce(customer_orders.gross_profit_window, 0) as gross_profit_window,
        coalesce(customer_orders.cost_to_serve_window, 0) as cost_to_serve_window,
        coalesce(customer_orders.active_months_window, 0) as active_months_window,
        customer_orders.net_revenue_last_active_year,
        customer_orders.typical_gap_days,
        engagement.referrals_made,
        engagement.interactions_window,
        engagement.complaints_window,
        engagement.complaints_before_last_order,
        engagement.days_without_contact_before_last_order
    from customers
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
    left join engagement
        on customers.customer_id = engagement.customer_id
),

pareto_ranking as (
    -- Customers with positive window revenue, largest first, ties by customer_id.
    select
        customer_id,
        {{ revenue_ranked_through('net_revenue_window') }} as cumulative_revenue,
        sum(net_revenue_window) over () as ranked_revenue_total
    from joined
    where net_revenue_window > 0
),

profit_ranking as (
    -- Customers with an order in the window, most profitable first, ties by customer_id.
    select
        customer_id,
        {{ profit_rank('gross_profit_window') }} as profit_rank,
        count(*) over () as profit_ranked_customers
    from joined
    where orders_window > 0
),

classified as (
    select
        joined.*,
        pareto_ranking.cumulative_revenue,
        pareto_ranking.ranked_revenue_total,
        {{ pareto_tier(
            'joined.net_revenue_window',
            'pareto_ranking.cumulative_revenue - joined.net_revenue_window',
            'pareto_ranking.ranked_revenue_total') }} as pareto_tier,
        {{ profit_band('profit_ranking.profit_rank', 'profit_ranking.profit_ranked_customers') }}
            as profit_band,
        {{ at_risk_threshold('joined.order_days', 'joined.typical_gap_days',
                             'one_time_thresholds.at_risk_gap_days') }} as at_risk_after_days,
        {{ churn_threshold('joined.order_days', 'joined.typical_gap_days',
                           'one_time_thresholds.churn_gap_days') }} as churn_after_days,
        params.as_of_date
    from joined
    cross join params
    cross join one_time_thresholds
    left join pareto_ranking
        on joined.customer_id = pareto_ranking.customer_id
    left join profit_ranking
        on joined.customer_id = profit_ranking.customer_id
),

statuses as (
    select
        classified.*,
        {{ quadrant('first_order_date', 'orders_window > 0', 'pareto_tier', 'as_of_date') }}
            as quadrant,
        {{ churn_status('first_order_date', 'recency_days', 'at_risk_after_days', 'churn_after_days') }}
            as churn_status
    from classified
),

penalised as (
    -- Key-account scores lose points for churn risk.
    select
        statuses.*,
        case statuses.churn_status
            when 'churned' then {{ var('key_account_churned_penalty') }}
            when 'at_risk' then {{ var('key_account_at_risk_penalty') }}
            else 0
        end as churn_penalty
    from statuses
),

buyer_ranks as (
    -- Positions among customers with orders, worst first, for RFM and key-account
    -- scores. rank() gives a tie group the position of its first member, so when many
    -- customers share the lowest value (one-time buyers) they all score 1.
    select
        customer_id,
        rank() over (order by recency_days desc) as recency_position,
        rank() over (order by orders_lifetime) as frequency_position,
        rank() over (order by net_revenue_lifetime) as monetary_position,
        count(*) over () as buyers,
        percent_rank() over (order by gross_profit_window) as profit_pct,
        percent_rank() over (order by tenure_days) as tenure_pct,
        percent_rank() over (order by active_months_window) as stability_pct,
        percent_rank() over (order by net_revenue_window - net_revenue_prior_window) as growth_pct,
        percent_rank() over (order by referrals_made) as referrals_pct,
        percent_rank() over (order by interactions_window) as engagement_pct
    from penalised
    where first_order_date is not null
),

scores as (
    select
        customer_id,
        -- Quintile 1-5 (5 best) = ceil(5 x position / n), in exact integer arithmetic.
        {% for score, position in [('r_score', 'recency_position'), ('f_score', 'frequency_position'), ('m_score', 'monetary_position')] -%}
        cast(floor((5 * {{ position }} + buyers - 1) / cast(buyers as {{ type_double() }})) as integer)
            as {{ score }},
        {% endfor -%}
        100 * (
            {{ var('key_account_weight_profit') }} * profit_pct
            + {{ var('key_account_weight_tenure') }} * tenure_pct
            + {{ var('key_account_weight_stability') }} * stability_pct
            + {{ var('key_account_weight_growth') }} * growth_pct
            + {{ var('key_account_weight_referrals') }} * referrals_pct
            + {{ var('key_account_weight_engagement') }} * engagement_pct
        ) / (
            {{ var('key_account_weight_profit') }} + {{ var('key_account_weight_tenure') }}
            + {{ var('key_account_weight_stability') }} + {{ var('key_account_weight_growth') }}
            + {{ var('key_account_weight_referrals') }} + {{ var('key_account_weight_engagement') }}
        ) as key_account_base_score
    from buyer_ranks
),

final as (
    select
        statuses.customer_id,
        {% if var('publish_customer_names') | string | lower in ['true', '1', 'yes'] -%}
        statuses.customer_name,
        {% endif -%}
        statuses.customer_type,
        statuses.industry,
        statuses.region,
        statuses.city,
        statuses.acquisition_channel,
        statuses.first_order_channel as channel,
        statuses.account_manager,
        statuses.membership_level,
        statuses.is_known_to_crm,
        statuses.first_order_date,
        statuses.last_order_date,
        statuses.tenure_days,
        statuses.recency_days,
        statuses.order_days,
        statuses.orders_lifetime,
        statuses.orders_window,
        statuses.net_revenue_lifetime,
        statuses.net_revenue_window,
        statuses.net_revenue_prior_window,
        statuses.gross_profit_lifetime,
        statuses.gross_profit_window,
        statuses.cost_to_serve_window,
        case
            when statuses.orders_lifetime > 0
                then statuses.net_revenue_lifetime / statuses.orders_lifetime
        end as avg_order_value,
        statuses.typical_gap_days,
        statuses.referrals_made,
        statuses.interactions_window,
        statuses.complaints_window,
        case
            when statuses.pareto_tier <> 'D'
                then statuses.net_revenue_window / statuses.ranked_revenue_total
        end as revenue_share,
        case
            when statuses.pareto_tier <> 'D'
                then statuses.cumulative_revenue / statuses.ranked_revenue_total
        end as cumulative_revenue_share,
        statuses.pareto_tier,
        statuses.profit_band,
        statuses.gross_profit_window < 0 as is_loss_making,
        statuses.quadrant,
        strategies.strategy_en as quadrant_strategy_en,
        strategies.strategy_zh as quadrant_strategy_zh,
        statuses.churn_status,
        {{ churned_on('statuses.churn_status', 'statuses.last_order_date', 'statuses.churn_after_days') }}
            as churned_on,
        case when statuses.first_order_date is not null then statuses.at_risk_after_days end
            as at_risk_after_days,
        case when statuses.first_order_date is not null then statuses.churn_after_days end
            as churn_after_days,
        statuses.net_revenue_last_active_year,
        statuses.complaints_before_last_order,
        statuses.days_without_contact_before_last_order,
        scores.r_score,
        scores.f_score,
        scores.m_score,
        {{ rfm_segment('scores.r_score', 'scores.f_score', 'scores.m_score') }} as rfm_segment,
        round(coalesce({{ greatest_of('0', 'scores.key_account_base_score - statuses.churn_penalty') }}, 0), 2)
            as key_account_score,
        coalesce(
            round(scores.key_account_base_score - statuses.churn_penalty, 2) >= {{ var('key_account_min_score') }},
            false
        ) as is_key_account,
        statuses.as_of_date
    from penalised as statuses
    left join scores
        on statuses.customer_id = scores.customer_id
    left join strategies
        on statuses.quadrant = strategies.quadrant
)

select * from final
