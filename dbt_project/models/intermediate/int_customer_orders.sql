{#- Order facts per customer as of as_of_date: dates, counts, revenue and profit over
    the lifetime, the value window and the window before it, the typical gap, and the
    lifetime list value, discounts and refunds and the orders of the year up to the last
    order and the year before it (facts behind the churn signals). -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

orders as (
    select * from {{ ref('int_orders__valued') }}
),

order_days as (
    select * from {{ ref('int_customer_order_days') }}
),

lines as (
    select * from {{ ref('int_order_lines__valued') }}
),

returns as (
    select * from {{ ref('int_returns__valued') }}
),

order_totals as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as orders_lifetime,
        count(*) filter (where is_in_window) as orders_window,
        sum(net_revenue) as net_revenue_lifetime,
        coalesce(sum(net_revenue) filter (where is_in_window), 0) as net_revenue_window,
        coalesce(sum(net_revenue) filter (where is_in_prior_window), 0) as net_revenue_prior_window,
        sum(gross_profit) as gross_profit_lifetime,
        coalesce(sum(gross_profit) filter (where is_in_window), 0) as gross_profit_window,
        coalesce(sum(cost_to_serve) filter (where is_in_window), 0) as cost_to_serve_window,
        count(distinct case when is_in_window then {{ dbt.date_trunc('month', 'order_date') }} end)
            as active_months_window
    from orders
    group by customer_id
),

line_totals as (
    -- One pass over the lines: the lifetime at list price and its discounts.
    select
        customer_id,
        sum(list_value) as list_value_lifetime,
        sum(discount_value) as discounts_lifetime
    from lines
    group by customer_id
),

refund_totals as (
    select
        customer_id,
        sum(refund) as refunds_lifetime
    from returns
    group by customer_id
),

day_counts as (
    select
        customer_id,
        count(*) as order_days
    from order_days
    group by customer_id
),

gap_histogram as (
    select
        customer_id,
        gap_days,
        count(*) as gaps
    from order_days
    where gap_days is not null
    group by customer_id, gap_days
),

gap_cumulative as (
    select
        customer_id,
        gap_days,
        sum(gaps) over (
            partition by customer_id order by gap_days
            rows between unbounded preceding and current row
        ) as gaps_up_to,
        sum(gaps) over (partition by customer_id) as total_gaps
    from gap_histogram
),

typical_gaps as (
    -- The median from the histogram: percentile_cont would hold every gap in memory.
    select
        customer_id,
        {{ histogram_percentile(0.5, 'gap_days', 'gaps_up_to', 'total_gaps') }} as typical_gap_days
    from gap_cumulative
    group by customer_id
),

first_orders as (
    select
        customer_id,
        channel as first_order_channel
    from (
        select
            customer_id,
            channel,
            row_number() over (partition by customer_id order by order_date, order_id) as order_rank
        from orders
    ) as ranked
    where order_rank = 1
),

{% set last_year_start = add_days('order_totals.last_order_date', -1 * var('value_window_days')) -%}
last_active_year as (
    -- What a churned customer took with them: revenue in the year up to the last order.
    -- Orders of that year and of the year before it, one by one, show a decline.
    select
        orders.customer_id,
        sum(orders.net_revenue) filter (where orders.order_date > {{ last_year_start }})
            as net_revenue_last_active_year,
        count(*) filter (where orders.order_date > {{ last_year_start }}) as orders_last_active_year,
        count(*) filter (where orders.order_date <= {{ last_year_start }}) as orders_prior_active_year
    from orders
    inner join order_totals
        on orders.customer_id = order_totals.customer_id
    where orders.order_date > {{ add_days('order_totals.last_order_date', -2 * var('value_window_days')) }}
    group by orders.customer_id
),

final as (
    select
        order_totals.customer_id,
        order_totals.first_order_date,
        order_totals.last_order_date,
        first_orders.first_order_channel,
        {{ dbt.datediff('order_totals.first_order_date', 'params.as_of_date', 'day') }} as tenure_days,
        {{ dbt.datediff('order_totals.last_order_date', 'params.as_of_date', 'day') }} as recency_days,
        day_counts.order_days,
        typical_gaps.typical_gap_days,
        order_totals.orders_lifetime,
        order_totals.orders_window,
        order_totals.net_revenue_lifetime,
        order_totals.net_revenue_window,
        order_totals.net_revenue_prior_window,
        order_totals.gross_profit_lifetime,
        order_totals.gross_profit_window,
        order_totals.cost_to_serve_window,
        order_totals.active_months_window,
        last_active_year.net_revenue_last_active_year,
        last_active_year.orders_last_active_year,
        last_active_year.orders_prior_active_year,
        coalesce(line_totals.list_value_lifetime, 0) as list_value_lifetime,
        coalesce(line_totals.discounts_lifetime, 0) as discounts_lifetime,
        coalesce(refund_totals.refunds_lifetime, 0) as refunds_lifetime
    from order_totals
    cross join params
    inner join day_counts
        on order_totals.customer_id = day_counts.customer_id
    inner join first_orders
        on order_totals.customer_id = first_orders.customer_id
    inner join last_active_year
        on order_totals.customer_id = last_active_year.customer_id
    left join typical_gaps
        on order_totals.customer_id = typical_gaps.customer_id
    left join line_totals
        on order_totals.customer_id = line_totals.customer_id
    left join refund_totals
        on order_totals.customer_id = refund_totals.customer_id
)

select * from final
