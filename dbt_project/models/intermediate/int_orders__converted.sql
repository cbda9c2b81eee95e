{#- Every staged order with the rate that converts its amounts to the reporting
    currency: the latest rate on or before the order date, 1 for the reporting
    currency. An order whose rate has not landed yet has none and waits. Kept from run
    to run: only the orders int_orders__recomputed names are converted again. -#}
{{ order_facts_config() }}
with

orders as (
    select * from {{ ref('stg_sales__orders') }}
    {{ recomputed_orders_only() }}
),

fx_daily as (
    select * from {{ ref('int_fx_rates__daily') }}
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_date,
        orders.channel,
        orders.currency,
        orders.status,
        orders.is_completed,
        orders.shipping_cost,
        case
            when orders.currency = '{{ var("reporting_currency") }}' then cast(1 as {{ dbt.type_numeric() }})
            else fx_daily.rate_to_reporting
        end as fx_rate,
        orders.currency = '{{ var("reporting_currency") }}' or fx_daily.rate_to_reporting is not null
            as has_fx_rate,
        orders.batch,
        orders.loaded_at
    from orders
    left join fx_daily
        on orders.currency = fx_daily.currency
        and orders.order_date = fx_daily.rate_day
)

select * from final
