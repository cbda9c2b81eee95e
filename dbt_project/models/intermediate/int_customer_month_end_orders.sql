{#- Every customer at every month end from the one they are known by: first order so
    far, and the last order day so far with what was known on it (order dates and
    typical gap to date). The ordering half of customer_tier_history; a model of its
    own so that each query plan stays small enough to spill at scale. -#}
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

grid_with_last_month as (
    select
        grid.*,
        max(monthly_last_order.month_end) over (
            partition by grid.customer_id
            order by grid.month_end
            rows between unbounded preceding and current row
        ) as last_order_month_end
    from grid
    left join monthly_last_order
        on grid.customer_id = monthly_last_order.customer_id
        and grid.month_end = monthly_last_order.month_end
),

final as (
    select
        grid.customer_id,
        grid.month_end,
        grid.first_order_date,
        last_order.last_order_date,
        coalesce(last_order.order_days_to_date, 0) as order_days,
        last_order.typical_gap_days_to_date as typical_gap_days
    from grid_with_last_month as grid
    left join monthly_last_order as last_order
        on grid.customer_id = last_order.customer_id
        and grid.last_order_month_end = last_order.month_end
)

select * from final
