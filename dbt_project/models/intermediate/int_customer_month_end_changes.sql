{#- How each customer's rolling month-end figures change at a month end: months with an
    order, revenue of the year before the value window, and CRM interactions; and, at
    the end of a month with an order, that month's last order day. A dated
    fact counts at every month end from the first one whose window holds it until the
    first one whose window has passed it, so it is added at the one and taken off at
    the other; int_customer_month_end_orders sums the changes up month by month. This
    replaces joining every fact to the twelve or so month ends that count it. -#}
{{ history_config() }}
{%- set n = var('value_window_days') %}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

customer_days as (
    select * from {{ ref('int_customer_order_days') }}
),

-- The same days, read again for the order months: a CTE read twice is held in memory
-- whole (materialized), too much beside the aggregation below at 100M order lines.
order_days as (
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
    from order_days
    group by customer_id, {{ dbt.date_trunc('month', 'order_date') }}
),

counted_facts as (
    -- Each fact with the first month end that counts it and the first that no longer
    -- does. Revenue and refunds are summed exactly, at the scale of the order amounts
    -- (18 decimals), as customer_value sums them: no amount is rounded or rescaled.
    select
        customer_id,
        {{ dbt.last_day('last_order_date', 'month') }} as counted_from,
        {{ dbt.last_day(add_days('last_order_date', n), 'month') }} as counted_until,
        last_order_date,
        1 as active_months,
        cast(0 as decimal(38, 18)) as prior_window_revenue,
        0 as interactions
    from order_months
    union all
    -- An order day is in the year before the window at month ends m with
    -- m - 2n < order_date <= m - n.
    select
        customer_id,
        {{ dbt.last_day(add_days('order_date', n), 'month') }} as counted_from,
        {{ dbt.last_day(add_days('order_date', 2 * n), 'month') }} as counted_until,
        cast(null as date) as last_order_date,
        0 as active_months,
        cast(revenue_before_returns as decimal(38, 18)) as prior_window_revenue,
        0 as interactions
    from customer_days
    union all
    -- A refund is taken off the year before the window from the month end it was
    -- booked by, and only while its order is in that year.
    select
        customer_id,
        {{ dbt.last_day(greatest_of(add_days('order_date', n), 'return_date'), 'month') }} as counted_from,
        {{ dbt.last_day(add_days('order_date', 2 * n), 'month') }} as counted_until,
        cast(null as date) as last_order_date,
        0 as active_months,
        cast(-1 * refund as decimal(38, 18)) as prior_window_revenue,
        0 as interactions
    from returns
    union all
    select
        customer_id,
        {{ dbt.last_day('occurred_on', 'month') }} as counted_from,
        {{ dbt.last_day(add_days('occurred_on', n), 'month') }} as counted_until,
        cast(null as date) as last_order_date,
        0 as active_months,
        cast(0 as decimal(38, 18)) as prior_window_revenue,
        1 as interactions
    from interactions
),

changes as (
    -- Added at the first month end, taken off at the other; a refund booked after its
    -- order left the year before the window changes nothing.
    select
        counted_facts.customer_id,
        case when signs.sign = 1 then counted_facts.counted_from else counted_facts.counted_until end as month_end,
        case when signs.sign = 1 then counted_facts.last_order_date end as last_order_date,
        signs.sign * counted_facts.active_months as active_months,
        case
            when signs.sign = 1 then counted_facts.prior_window_revenue
            else -1 * counted_facts.prior_window_revenue
        end as prior_window_revenue,
        signs.sign * counted_facts.interactions as interactions
    from counted_facts
    cross join (values (1), (-1)) as signs (sign)
    where counted_facts.counted_from < counted_facts.counted_until
),

final as (
    -- Changes after as_of_date take effect at no month end of the history; so nothing
    -- of an interaction dated after it counts.
    select
        changes.customer_id,
        cast(changes.month_end as date) as month_end,
        sum(changes.active_months) as active_months_change,
        sum(changes.prior_window_revenue) as net_revenue_prior_window_change,
        sum(changes.interactions) as interactions_change,
        max(changes.last_order_date) as last_order_date
    from changes
    cross join params
    where changes.month_end <= params.as_of_date {{ recomputed_months_only('changes.month_end', 'and') }}
    group by changes.customer_id, cast(changes.month_end as date)
)

select * from final
