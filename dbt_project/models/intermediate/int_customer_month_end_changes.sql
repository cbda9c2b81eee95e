{#- How each customer's rolling month-end figures change at a month end: months with an
    order, revenue of the year before the value window, and CRM interactions. A dated
    fact counts at every month end from the first one whose window holds it until the
    first one whose window has passed it, so it is added at the one and taken off at
    the other; int_customer_month_end_orders sums the changes up month by month. This
    replaces joining every fact to the twelve or so month ends that count it. -#}
{%- set n = var('value_window_days') %}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

customer_days as (
    select * from {{ ref('int_customer_order_days') }}
),

returns as (
    select * from {{ ref('int_returns__valued') }}
),

interactions as (
    select * from {{ ref('stg_crm__interactions') }}
),

order_months as (
    -- A calendar month is active while its last order day is in the value window.
    select
        customer_id,
        max(order_date) as last_order_date
    from customer_days
    group by customer_id, {{ dbt.date_trunc('month', 'order_date') }}
),

refunds as (
    -- A refund is taken off the year before the window from the month end it was
    -- booked by, and only while its order is in that year.
    select
        customer_id,
        order_date,
        refund,
        {{ greatest_of(add_days('order_date', n), 'return_date') }} as counted_from
    from returns
),

changes as (
    select
        customer_id,
        {{ dbt.last_day('last_order_date', 'month') }} as month_end,
        1 as active_months,
        0 as prior_window_revenue,
        0 as interactions
    from order_months
    union all
    select
        customer_id,
        {{ dbt.last_day(add_days('last_order_date', n), 'month') }} as month_end,
        -1 as active_months,
        0 as prior_window_revenue,
        0 as interactions
    from order_months
    union all
    -- An order day is in the year before the window at month ends m with
    -- m - 2n < order_date <= m - n.
    select
        customer_id,
        {{ dbt.last_day(add_days('order_date', n), 'month') }} as month_end,
        0 as active_months,
        revenue_before_returns as prior_window_revenue,
        0 as interactions
    from customer_days
    union all
    select
        customer_id,
        {{ dbt.last_day(add_days('order_date', 2 * n), 'month') }} as month_end,
        0 as active_months,
        -1 * revenue_before_returns as prior_window_revenue,
        0 as interactions
    from customer_days
    union all
    select
        customer_id,
        {{ dbt.last_day('counted_from', 'month') }} as month_end,
        0 as active_months,
        -1 * refund as prior_window_revenue,
        0 as interactions
    from refunds
    where {{ dbt.last_day('counted_from', 'month') }} < {{ dbt.last_day(add_days('order_date', 2 * n), 'month') }}
    union all
    select
        customer_id,
        {{ dbt.last_day(add_days('order_date', 2 * n), 'month') }} as month_end,
        0 as active_months,
        refund as prior_window_revenue,
        0 as interactions
    from refunds
    where {{ dbt.last_day('counted_from', 'month') }} < {{ dbt.last_day(add_days('order_date', 2 * n), 'month') }}
    union all
    select
        interactions.customer_id,
        {{ dbt.last_day('interactions.occurred_on', 'month') }} as month_end,
        0 as active_months,
        0 as prior_window_revenue,
        1 as interactions
    from interactions
    union all
    select
        interactions.customer_id,
        {{ dbt.last_day(add_days('interactions.occurred_on', n), 'month') }} as month_end,
        0 as active_months,
        0 as prior_window_revenue,
        -1 as interactions
    from interactions
),

final as (
    -- Changes after as_of_date take effect at no month end of the history; so nothing
    -- of an interaction dated after it counts.
    select
        changes.customer_id,
        cast(changes.month_end as date) as month_end,
        sum(changes.active_months) as active_months_change,
        sum(changes.prior_window_revenue) as net_revenue_prior_window_change,
        sum(changes.interactions) as interactions_change
    from changes
    cross join params
    where changes.month_end <= params.as_of_date
    group by changes.customer_id, cast(changes.month_end as date)
)

select * from final
