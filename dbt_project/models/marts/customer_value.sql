{#- One row per customer known to CRM or sales: the facts as of as_of_date and every
    classification a manager acts on (SPEC.md section 4), the churn signals and reason,
    contact and referral facts and the traits of a core customer (section 7), and
    what the customer-base models predict (section 8). No phone,
    email or birthday; the name only when publish_customer_names is on. -#}
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

churn_reasons as (
    select * from {{ ref('churn_reasons') }}
),

predictions as (
    -- Written by the customer-base models step (SPEC section 8) before the marts.
    select * from {{ source('predictions', 'customer_predictions') }}
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
        customers.crm_group,
        customers.referred_by_customer_id,
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
        coalesce(customer_orders.orders_last_active_year, 0) as orders_last_active_year,
        coalesce(customer_orders.orders_prior_active_year, 0) as orders_prior_active_year,
        coalesce(customer_orders.list_value_lifetime, 0) as list_value_lifetime,
        coalesce(customer_orders.discounts_lifetime, 0) as discounts_lifetime,
        coalesce(customer_orders.refunds_lifetime, 0) as refunds_lifetime,
        engagement.referrals_made,
        engagement.interactions_window,
        engagement.complaints_window,
        engagement.complaints_before_last_order,
        engagement.days_without_contact_before_last_order,
        engagement.referred_customers_active,
        engagement.referred_revenue_window,
        engagement.contacts_window,
        engagement.feedback_window,
        engagement.gifts_window,
        engagement.events_window,
        engagement.referral_interactions_window,
        engagement.last_contact_date,
        engagement.days_since_last_contact,
        coalesce(engagement.complaints_since_signal_start, 0) as complaints_since_signal_start
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

signals as (
    -- Churn signals, only for customers with orders (SPEC.md section 7.1), and the
    -- traits of a core customer (section 7.2).
    select
        statuses.*,
        case when statuses.first_order_date is not null then statuses.complaints_since_signal_start > 0 end
            as signal_complaints,
        case
            when statuses.first_order_date is not null
                then {{ signal_returns('statuses.refunds_lifetime', 'statuses.list_value_lifetime',
                                       'statuses.discounts_lifetime') }}
        end as signal_returns,
        case
            when statuses.first_order_date is not null
                then {{ signal_order_decline('statuses.orders_last_active_year', 'statuses.orders_prior_active_year') }}
        end as signal_order_decline,
        case
            when statuses.first_order_date is not null
                then {{ signal_discount_dependent('statuses.discounts_lifetime', 'statuses.list_value_lifetime') }}
        end as signal_discount_dependent,
        case
            when statuses.first_order_date is not null
                then {{ signal_no_contact('statuses.days_since_last_contact') }}
        end as signal_no_contact,
        case when statuses.first_order_date is not null then statuses.order_days = 1 end as signal_one_time,
        statuses.pareto_tier = 'A' as trait_high_value,
        {{ trait_loyal('statuses.order_days', 'statuses.tenure_days', 'statuses.active_months_window') }}
            as trait_loyal,
        (
            coalesce(statuses.referrals_made, 0) >= 1
            or coalesce(statuses.referral_interactions_window, 0) >= 1
        ) as trait_advocate,
        statuses.churn_status = 'active' as trait_retained
    from statuses
),

reasons as (
    select
        signals.*,
        {{ churn_reason(
            'signals.churn_status', 'signals.signal_complaints', 'signals.signal_returns',
            'signals.signal_order_decline', 'signals.signal_discount_dependent',
            'signals.signal_no_contact', 'signals.signal_one_time') }} as churn_reason,
        (
            case when signals.trait_high_value then 1 else 0 end
            + case when signals.trait_loyal then 1 else 0 end
            + case when signals.trait_advocate then 1 else 0 end
            + case when signals.trait_retained then 1 else 0 end
        ) as core_traits,
        {{ is_core_customer('signals.trait_high_value', 'signals.trait_loyal',
                            'signals.trait_advocate', 'signals.trait_retained') }} as is_core_customer
    from signals
),

penalised as (
    -- Key-account scores lose points for churn risk.
    select
        reasons.*,
        {{ key_account_penalty('reasons.churn_status') }} as churn_penalty
    from reasons
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
        {{ key_account_base_score('profit_pct', 'tenure_pct', 'stability_pct', 'growth_pct', 'referrals_pct',
                                  'engagement_pct') }} as key_account_base_score
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
        statuses.crm_group,
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
        statuses.active_months_window,
        statuses.referrals_made,
        statuses.referred_by_customer_id,
        statuses.referred_customers_active,
        statuses.referred_revenue_window,
        statuses.interactions_window,
        statuses.complaints_window,
        statuses.contacts_window,
        statuses.feedback_window,
        statuses.gifts_window,
        statuses.events_window,
        statuses.referral_interactions_window,
        statuses.last_contact_date,
        statuses.days_since_last_contact,
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
        statuses.signal_complaints,
        statuses.signal_returns,
        statuses.signal_order_decline,
        statuses.signal_discount_dependent,
        statuses.signal_no_contact,
        statuses.signal_one_time,
        statuses.churn_reason,
        churn_reasons.label_en as churn_reason_label_en,
        churn_reasons.label_zh as churn_reason_label_zh,
        churn_reasons.action_en as churn_reason_action_en,
        churn_reasons.action_zh as churn_reason_action_zh,
        scores.r_score,
        scores.f_score,
        scores.m_score,
        {{ rfm_segment('scores.r_score', 'scores.f_score', 'scores.m_score') }} as rfm_segment,
        {{ key_account_score('scores.key_account_base_score', 'statuses.churn_penalty') }} as key_account_score,
        {{ is_key_account('scores.key_account_base_score', 'statuses.churn_penalty') }} as is_key_account,
        statuses.trait_high_value,
        statuses.trait_loyal,
        statuses.trait_advocate,
        statuses.trait_retained,
        statuses.core_traits,
        statuses.is_core_customer,
        predictions.p_alive,
        predictions.expected_orders_90d,
        predictions.expected_orders_365d,
        predictions.expected_order_value,
        predictions.predicted_revenue_365d,
        statuses.as_of_date
    from penalised as statuses
    left join scores
        on statuses.customer_id = scores.customer_id
    left join strategies
        on statuses.quadrant = strategies.quadrant
    left join churn_reasons
        on statuses.churn_reason = churn_reasons.churn_reason
    left join predictions
        on statuses.customer_id = predictions.customer_id
)

select * from final
