{#- One row per counted order (completed, with an FX rate and its lines, on or before
    as_of_date): net revenue, cost of goods, cost to serve and gross profit in the
    reporting currency. An order whose lines have not landed yet waits, like an order
    line whose order has not landed. Kept from run to run like int_order_lines__valued. -#}
{{ order_facts_config() }}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

orders as (
    select * from {{ ref('int_orders__converted') }}
),

lines as (
    select * from {{ ref('int_order_lines__valued') }}
    {{ recomputed_orders_only() }}
),

order_lines as (
    select
        order_id,
        count(*) as lines,
        sum(net_revenue) as net_revenue,
        sum(cost_of_goods) as cost_of_goods,
        sum(revenue_before_returns) as revenue_before_returns,
        sum(cost_before_returns) as cost_before_returns
    from lines
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.order_date,
        orders.channel,
        order_lines.lines,
        order_lines.net_revenue,
        order_lines.cost_of_goods,
        {{ cost_to_serve('orders.shipping_cost', 'orders.fx_rate') }} as cost_to_serve,
        (
            order_lines.net_revenue
            - order_lines.cost_of_goods
            - {{ cost_to_serve('orders.shipping_cost', 'orders.fx_rate') }}
        ) as gross_profit,
        order_lines.revenue_before_returns,
        (
            order_lines.revenue_before_returns
            - order_lines.cost_before_returns
            - {{ cost_to_serve('orders.shipping_cost', 'orders.fx_rate') }}
        ) as gross_profit_before_returns,
        orders.order_date > params.window_start_exclusive as is_in_window,
        (
            orders.order_date > params.prior_window_start_exclusive
            and orders.order_date <= params.window_start_exclusive
        ) as is_in_prior_window
    from orders
    cross join params
    inner join order_lines
        on orders.order_id = order_lines.order_id
    where {{ is_counted_order('orders', 'params') }} {{ recomputed_orders_only('orders.order_id', 'and') }}
)

select * from final
