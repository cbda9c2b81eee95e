{#- Every month end from the month of the first counted order to as_of_date: the
    dates customer_tier_history recomputes tiers, quadrants and churn for. -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

orders as (
    select order_date from {{ ref('int_orders__valued') }}
),

first_month as (
    select {{ dbt.date_trunc('month', 'min(order_date)') }} as month_start from orders
),

digits as (
    select ten.d
    from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as ten (d)
),

month_offsets as (
    -- 0 .. 999 months: over 80 years of history.
    select a.d + 10 * b.d + 100 * c.d as offset_months
    from digits as a
    cross join digits as b
    cross join digits as c
),

months as (
    select
        cast({{ dbt.last_day(dbt.dateadd('month', 'month_offsets.offset_months', 'first_month.month_start'), 'month') }} as date)
            as month_end
    from first_month
    cross join month_offsets
),

final as (
    select months.month_end
    from months
    cross join params
    where months.month_end <= params.as_of_date
)

select * from final
