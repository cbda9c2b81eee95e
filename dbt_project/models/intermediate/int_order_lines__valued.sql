{#- Net revenue and cost of goods kept for every line of a completed order that has
    an FX rate and is dated on or before as_of_date, in the reporting currency. Kept
    from run to run: only the lines of the orders int_orders__recomputed names are
    recomputed, unless int_order_facts_scope recomputes them all. -#}
{{ order_facts_config() }}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

orders as (
    select * from {{ ref('int_orders__converted') }}
),

lines as (
    select * from {{ ref('stg_sales__order_lines') }}
    {{ recomputed_orders_only() }}
),

returns as (
    select * from {{ ref('stg_sales__returns') }}
),

counted_orders as (
    select orders.*
    from orders
    cross join params
    where {{ is_counted_order('orders', 'params') }} {{ recomputed_orders_only('orders.order_id', 'and') }}
),

line_returns as (
    select
        returns.order_id,
        returns.line_number,
        sum(returns.quantity) as returned_quantity,
        sum(returns.refund_amount) as refund_amount
    from returns
    cross join params
    where returns.return_date <= params.as_of_date {{ recomputed_orders_only('returns.order_id', 'and') }}
    group by returns.order_id, returns.line_number
),

final as (
    select
        lines.order_id,
        lines.line_number,
        counted_orders.customer_id,
        counted_orders.order_date,
        lines.product_id,
        lines.product_category,
        lines.quantity,
        coalesce(line_returns.returned_quantity, 0) as returned_quantity,
        counted_orders.fx_rate,
        lines.unit_cost * counted_orders.fx_rate as unit_cost_reporting,
        (
            lines.quantity * lines.unit_price
            - lines.discount_amount
            - coalesce(line_returns.refund_amount, 0)
        ) * counted_orders.fx_rate as net_revenue,
        (
            (lines.quantity - coalesce(line_returns.returned_quantity, 0))
            * lines.unit_cost * counted_orders.fx_rate
        ) as cost_of_goods,
        -- The same before any return, for month-end history where only the returns
        -- booked by each month end count (int_returns__valued).
        (lines.quantity * lines.unit_price - lines.discount_amount) * counted_orders.fx_rate
            as revenue_before_returns,
        lines.quantity * lines.unit_cost * counted_orders.fx_rate as cost_before_returns,
        -- List value and discount apart, for the returns and discount churn signals.
        lines.quantity * lines.unit_price * counted_orders.fx_rate as list_value,
        lines.discount_amount * counted_orders.fx_rate as discount_value
    from lines
    inner join counted_orders
        on lines.order_id = counted_orders.order_id
    left join line_returns
        on lines.order_id = line_returns.order_id
        and lines.line_number = line_returns.line_number
)

select * from final
