{#- Every customer at every month end from the one they are known by: first order so
    far, and the last order day so far with what was known on it (order dates and
    typical gap to date); and the running figures of the key-account score: months
    with an order, revenue of the year before the value window, CRM interactions in
    the window and referrals made. The ordering half of customer_tier_history; a model
    of its own so that each query plan stays small enough to spill at scale. -#}
with

month_ends as (
    select * from {{ ref('int_month_ends') }}
),

customers as (
    select * from {{ ref('int_customers__known') }}
),

customer_days as (
    select * from {{ ref('int_customer_order_days') }}
),

order_history as (
    select * from {{ ref('int_customer_order_history') }}
),

changes as (
    select * from {{ ref('int_customer_month_end_changes') }}
),

first_orders as (
    select
        customer_id,
        min(order_date) as first_order_date
    from customer_days
    group by customer_id
),

known as (
    -- A customer exists from their CRM record or first order, whichever is earlier.
    select
        customers.customer_id,
        customers.referred_by_customer_id,
        first_orders.first_order_date,
        case
            when first_orders.first_order_date is null then cast(customers.created_at as date)
            when customers.created_at is null then first_orders.first_order_date
            when cast(customers.created_at as date) < first_orders.first_order_date
                then cast(customers.created_at as date)
            else first_orders.first_order_date
        end as known_from
    from customers
    left join first_orders
        on customers.customer_id = first_orders.customer_id
),

grid as (
    select
        known.customer_id,
        month_ends.month_end,
        case
            when known.first_order_date <= month_ends.month_end
                then known.first_order_date
        end as first_order_date
    from known
    inner join month_ends
        on known.known_from <= month_ends.month_end
),

monthly_last_order as (
    -- The customer's last order day in each month, with what was known on it.
    select *
    from (
        select
            customer_id,
            cast({{ dbt.last_day('order_date', 'month') }} as date) as month_end,
            order_date as last_order_date,
            order_days_to_date,
            typical_gap_days_to_date,
            row_number() over (
                partition by customer_id, {{ dbt.date_trunc('month', 'order_date') }}
                order by order_date desc
            ) as day_rank
        from order_history
    ) as ranked
    where day_rank = 1
),

referrals as (
    -- A referral counts for the referrer from the month end the referred customer is
    -- known by, as customer_value counts the known customers a customer referred.
    select
        referred_by_customer_id as customer_id,
        cast({{ dbt.last_day('known_from', 'month') }} as date) as month_end,
        count(*) as referrals_change
    from known
    where referred_by_customer_id is not null
        and known_from is not null
    group by referred_by_customer_id, cast({{ dbt.last_day('known_from', 'month') }} as date)
),

events as (
    -- The grid's rows, and what happens to a customer at a month end: a month with an
    -- order, the changes of the running figures, new referrals. Added up in one sort,
    -- events before a row count at it, even those dated before the customer's first
    -- row (an interaction logged before the CRM record, say). Sorting them along with
    -- the grid takes no hash table of the changes, so the plan spills at scale.
    select
        customer_id,
        month_end,
        1 as is_grid_row,
        first_order_date,
        cast(null as date) as order_month_end,
        0 as active_months_change,
        0 as net_revenue_prior_window_change,
        0 as interactions_change,
        0 as referrals_change
    from grid
    union all
    select
        customer_id,
        month_end,
        0 as is_grid_row,
        cast(null as date) as first_order_date,
        month_end as order_month_end,
        0 as active_months_change,
        0 as net_revenue_prior_window_change,
        0 as interactions_change,
        0 as referrals_change
    from monthly_last_order
    union all
    select
        customer_id,
        month_end,
        0 as is_grid_row,
        cast(null as date) as first_order_date,
        cast(null as date) as order_month_end,
        active_months_change,
        net_revenue_prior_window_change,
        interactions_change,
        0 as referrals_change
    from changes
    union all
    select
        customer_id,
        month_end,
        0 as is_grid_row,
        cast(null as date) as first_order_date,
        cast(null as date) as order_month_end,
        0 as active_months_change,
        0 as net_revenue_prior_window_change,
        0 as interactions_change,
        referrals_change
    from referrals
),

{% set running = 'partition by customer_id order by month_end, is_grid_row rows between unbounded preceding and current row' -%}
running as (
    -- The events of a month end sort before its grid row, so the row includes them.
    select
        customer_id,
        month_end,
        is_grid_row,
        first_order_date,
        max(order_month_end) over ({{ running }}) as last_order_month_end,
        sum(active_months_change) over ({{ running }}) as active_months_window,
        sum(net_revenue_prior_window_change) over ({{ running }}) as net_revenue_prior_window,
        sum(interactions_change) over ({{ running }}) as interactions_window,
        sum(referrals_change) over ({{ running }}) as referrals_made
    from events
),

final as (
    select
        running.customer_id,
        running.month_end,
        running.first_order_date,
        last_order.last_order_date,
        coalesce(last_order.order_days_to_date, 0) as order_days,
        last_order.typical_gap_days_to_date as typical_gap_days,
        cast(running.active_months_window as bigint) as active_months_window,
        running.net_revenue_prior_window,
        cast(running.interactions_window as bigint) as interactions_window,
        cast(running.referrals_made as bigint) as referrals_made
    from running
    left join monthly_last_order as last_order
        on running.customer_id = last_order.customer_id
        and running.last_order_month_end = last_order.month_end
    where running.is_grid_row = 1
)

select * from final
