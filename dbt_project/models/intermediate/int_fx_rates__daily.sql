{#- The rate that applies on each calendar day: the latest rate on or before it.
    An equality join on (currency, day) keeps the order conversion a hash join
    instead of a range join over every rate. -#}
with

rates as (
    select * from {{ ref('stg_sales__fx_rates') }}
),

orders as (
    select cast(ordered_at as date) as order_date from {{ source('sales', 'orders') }}
),

bounds as (
    select
        currency,
        min(rate_date) as first_day
    from rates
    group by currency
),

last_day as (
    select max(latest_date) as last_day
    from (
        select max(order_date) as latest_date from orders
        union all
        select max(rate_date) as latest_date from rates
    ) as latest_dates
),

digits as (
    select ten.d
    from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as ten (d)
),

day_offsets as (
    -- 0 .. 99,999 days: over 270 years of daily rates.
    select a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d as offset_days
    from digits as a
    cross join digits as b
    cross join digits as c
    cross join digits as e
    cross join digits as f
),

calendar as (
    select
        bounds.currency,
        {{ add_days('bounds.first_day', 'day_offsets.offset_days') }} as rate_day
    from bounds
    cross join last_day
    inner join day_offsets
        on day_offsets.offset_days <= {{ dbt.datediff('bounds.first_day', 'last_day.last_day', 'day') }}
),

final as (
    select
        calendar.currency,
        calendar.rate_day,
        rates.rate_date,
        rates.rate_to_reporting
    from calendar
    inner join rates
        on calendar.currency = rates.currency
        and calendar.rate_day >= rates.rate_date
        and (rates.valid_until is null or calendar.rate_day < rates.valid_until)
)

select * from final
