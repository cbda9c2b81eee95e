{#- CRM engagement per customer: referrals made, interactions and complaints in the
    value window, and the signals in the days before the customer's last order. -#}
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
        last_order_date
    from {{ ref('int_customer_orders') }}
),

referrals as (
    select
        referred_by_customer_id as customer_id,
        count(*) as referrals_made
    from customers
    where referred_by_customer_id is not null
    group by referred_by_customer_id
),

window_interactions as (
    select
        interactions.customer_id,
        count(*) as interactions_window,
        count(*) filter (where interactions.interaction_type = 'complaint') as complaints_window
    from interactions
    cross join params
    where interactions.occurred_on > params.window_start_exclusive
        and interactions.occurred_on <= params.as_of_date
    group by interactions.customer_id
),

before_last_order as (
    select
        interactions.customer_id,
        count(*) filter (where interactions.interaction_type = 'complaint')
            as complaints_before_last_order,
        max(interactions.occurred_on) as last_contact_before_last_order
    from interactions
    inner join customer_orders
        on interactions.customer_id = customer_orders.customer_id
    where interactions.occurred_on <= customer_orders.last_order_date
        and interactions.occurred_on > {{ add_days('customer_orders.last_order_date', -1 * var('churn_signal_days')) }}
    group by interactions.customer_id
),

final as (
    select
        customers.customer_id,
        coalesce(referrals.referrals_made, 0) as referrals_made,
        coalesce(window_interactions.interactions_window, 0) as interactions_window,
        coalesce(window_interactions.complaints_window, 0) as complaints_window,
        case
            when customer_orders.customer_id is not null
                then coalesce(before_last_order.complaints_before_last_order, 0)
        end as complaints_before_last_order,
        -- No contact at all in the signal period counts as the whole period.
        case
            when customer_orders.customer_id is not null
                then coalesce(
                    {{ dbt.datediff('before_last_order.last_contact_before_last_order', 'customer_orders.last_order_date', 'day') }},
                    {{ var('churn_signal_days') }}
                )
        end as days_without_contact_before_last_order
    from customers
    left join referrals
        on customers.customer_id = referrals.customer_id
    left join window_interactions
        on customers.customer_id = window_interactions.customer_id
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
    left join before_last_order
        on customers.customer_id = before_last_order.customer_id
)

select * from final
