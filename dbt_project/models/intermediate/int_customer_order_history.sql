{#- For every customer and distinct order date: what was known about the customer's
    ordering on that day (order dates so far, typical gap so far). Kept from run to run
    like int_customer_order_days: only the customers of recomputed orders, whole. -#}
{{ order_facts_config() }}
with

order_days as (
    select * from {{ ref('int_customer_order_days') }}
    {{ recomputed_customers_only() }}
),

final as (
    select
        customer_id,
        order_date,
        gap_days,
        row_number() over (partition by customer_id order by order_date) as order_days_to_date,
        {{ running_percentile(
            'gap_days', 0.5, 'order_date', 'customer_id',
            relation=ref('int_customer_order_days'), alias='order_days') }} as typical_gap_days_to_date
    from order_days
)

select * from final
