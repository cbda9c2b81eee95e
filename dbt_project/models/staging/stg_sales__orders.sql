with

source as (
    {{ latest_batch(source('sales', 'orders'), ['order_id']) }}
),

fx_daily as (
    select * from {{ ref('stg_sales__fx_rates_daily') }}
),

typed as (
    select
        order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        channel,
        currency,
        status,
        shipping_cost,
        _batch as batch
    from source
),

final as (
    select
        typed.order_id,
        typed.customer_id,
        typed.ordered_at,
        typed.order_date,
        typed.channel,
        typed.currency,
        typed.status,
        typed.status = 'completed' as is_completed,
        typed.shipping_cost,
        case
            when typed.currency = '{{ var("reporting_currency") }}' then cast(1 as {{ dbt.type_numeric() }})
            else fx_daily.rate_to_reporting
        end as fx_rate,
        typed.currency = '{{ var("reporting_currency") }}' or fx_daily.rate_to_reporting is not null
            as has_fx_rate,
        typed.batch
    from typed
    left join fx_daily
        on typed.currency = fx_daily.currency
        and typed.order_date = fx_daily.rate_day
)

select * from final
