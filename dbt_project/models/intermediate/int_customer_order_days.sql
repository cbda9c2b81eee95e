{#- One row per customer and distinct order date, with the gap in days since the
    customer's previous order date (empty for the first). On PostgreSQL an index on
    (customer_id, order_date) serves the running median of int_customer_order_history.
    Kept from run to run: only the customers of the orders int_orders__recomputed names
    (before and after) are recomputed, each with all their days. -#}
{{ order_facts_config() }}
{{ config(indexes=[{'columns': ['customer_id', 'order_date']}] if target.type == 'postgres' else []) }}

with

orders as (
    select * from {{ ref('int_orders__valued') }}
    {{ recomputed_customers_only() }}
),

days as (
    select
        customer_id,
        order_date,
        count(*) as orders,
        sum(net_revenue) as net_revenue,
        sum(gross_profit) as gross_profit,
        sum(revenue_before_returns) as revenue_before_returns,
        sum(gross_profit_before_returns) as gross_profit_before_returns
    from orders
    group by customer_id, order_date
),

final as (
    select
        customer_id,
        order_date,
        orders,
        net_revenue,
        gross_profit,
        revenue_before_returns,
        gross_profit_before_returns,
        lag(order_date) over (partition by customer_id order by order_date) as previous_order_date,
        {{ dbt.datediff(
            'lag(order_date) over (partition by customer_id order by order_date)',
            'order_date', 'day') }} as gap_days
    from days
)

select * from final
