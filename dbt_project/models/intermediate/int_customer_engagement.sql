{#- CRM engagement per customer: referrals made and what the referred customers bring
    in the value window, interactions in the window by type, the latest contact, and
    the signals around the customer's last order. Interactions dated after as_of_date
    do not exist yet. -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

customers as (
    select * from {{ ref('int_customers__known') }}
),

interactions as (
    select * from {{ ref('stg_crm__interactions') }}
),

customer_orders as (
    select
        customer_id,
        last_order_date,
        orders_window,
        net_revenue_window
    from {{ ref('int_customer_orders') }}
),

referrals as (
    -- Keyed by the referrer; a referrer that is not a known customer matches no row
    -- in the final join, so nobody gets its credit.
    select
        customers.referred_by_customer_id as customer_id,
        count(*) as referrals_made,
        count(*) filter (where customer_orders.orders_window > 0) as referred_customers_active,
        coalesce(sum(customer_orders.net_revenue_window), 0) as referred_revenue_window
    from customers
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
    where customers.referred_by_customer_id is not null
    group by customers.referred_by_customer_id
),

{% set in_window = 'interactions.occurred_on > params.window_start_exclusive' -%}
{% set signal_start = add_days('customer_orders.last_order_date', -1 * var('churn_signal_days')) -%}
{% set before_last_order = 'interactions.occurred_on <= customer_orders.last_order_date and interactions.occurred_on > ' ~ signal_start -%}
customer_interactions as (
    -- One pass over the interactions up to as_of_date for every count.
    select
        interactions.customer_id,
        count(*) filter (where {{ in_window }}) as interactions_window,
        count(*) filter (where {{ in_window }} and interactions.interaction_type = 'complaint')
            as complaints_window,
        count(*) filter (where {{ in_window }} and interactions.interaction_type = 'contact')
            as contacts_window,
        count(*) filter (where {{ in_window }} and interactions.interaction_type = 'feedback')
            as feedback_window,
        count(*) filter (where {{ in_window }} and interactions.interaction_type = 'gift')
            as gifts_window,
        count(*) filter (where {{ in_window }} and interactions.channel = 'event') as events_window,
        count(*) filter (where {{ in_window }} and interactions.interaction_type = 'referral')
            as referral_interactions_window,
        max(interactions.occurred_on) as last_contact_date,
        count(*) filter (where {{ before_last_order }} and interactions.interaction_type = 'complaint')
            as complaints_before_last_order,
        max(interactions.occurred_on) filter (where {{ before_last_order }})
            as last_contact_before_last_order,
        -- The complaint signal: the days up to the last order and anything since.
        count(*) filter (
            where interactions.interaction_type = 'complaint' and interactions.occurred_on > {{ signal_start }}
        ) as complaints_since_signal_start
    from interactions
    cross join params
    left join customer_orders
        on interactions.customer_id = customer_orders.customer_id
    where interactions.occurred_on <= params.as_of_date
    group by interactions.customer_id
),

final as (
    select
        customers.customer_id,
        coalesce(referrals.referrals_made, 0) as referrals_made,
        coalesce(customer_interactions.interactions_window, 0) as interactions_window,
        coalesce(customer_interactions.complaints_window, 0) as complaints_window,
        case
            when customer_orders.customer_id is not null
                then coalesce(customer_interactions.complaints_before_last_order, 0)
        end as complaints_before_last_order,
        -- No contact at all in the signal period counts as the whole period.
        case
            when customer_orders.customer_id is not null
                then coalesce(
                    {{ dbt.datediff('customer_interactions.last_contact_before_last_order', 'customer_orders.last_order_date', 'day') }},
                    {{ var('churn_signal_days') }}
                )
        end as days_without_contact_before_last_order,
        coalesce(referrals.referred_customers_active, 0) as referred_customers_active,
        coalesce(referrals.referred_revenue_window, 0) as referred_revenue_window,
        coalesce(customer_interactions.contacts_window, 0) as contacts_window,
        coalesce(customer_interactions.feedback_window, 0) as feedback_window,
        coalesce(customer_interactions.gifts_window, 0) as gifts_window,
        coalesce(customer_interactions.events_window, 0) as events_window,
        coalesce(customer_interactions.referral_interactions_window, 0) as referral_interactions_window,
        customer_interactions.last_contact_date,
        {{ dbt.datediff('customer_interactions.last_contact_date', 'params.as_of_date', 'day') }}
            as days_since_last_contact,
        case
            when customer_orders.customer_id is not null
                then coalesce(customer_interactions.complaints_since_signal_start, 0)
        end as complaints_since_signal_start
    from customers
    cross join params
    left join referrals
        on customers.customer_id = referrals.customer_id
    left join customer_interactions
        on customers.customer_id = customer_interactions.customer_id
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
)

select * from final
