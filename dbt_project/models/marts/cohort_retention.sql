{#- Customer cohorts by the calendar month of their first counted order: for every
    month since (offset 0, 1, ... up to the month of as_of_date, months without any
    activity too), how many of the cohort ordered, what they brought and earned, and
    what a cohort member has brought and earned so far. -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

orders as (
    select
        customer_id,
        order_date,
        net_revenue,
        gross_profit
    from {{ ref('int_orders__valued') }}
),

customer_months as (
    -- Orders to one row per customer and month first: every later step works on
    -- this, not on the orders, and a customer ordering twice in a month counts once.
    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as activity_month,
        sum(net_revenue) as net_revenue,
        sum(gross_profit) as gross_profit
    from orders
    group by customer_id, cast({{ dbt.date_trunc('month', 'order_date') }} as date)
),

first_months as (
    select
        customer_id,
        min(activity_month) as cohort_month
    from customer_months
    group by customer_id
),

cohorts as (
    select
        first_months.cohort_month,
        count(*) as cohort_size
    from first_months
    group by first_months.cohort_month
),

as_of_month as (
    select cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as month_start
    from params
),

activity as (
    select
        first_months.cohort_month,
        -- A whole number on every engine (PostgreSQL's month difference is a double).
        cast(
            {{ dbt.datediff('first_months.cohort_month', 'customer_months.activity_month', 'month') }}
            as {{ dbt.type_bigint() }}
        ) as month_offset,
        count(*) as active_customers,
        sum(customer_months.net_revenue) as net_revenue,
        sum(customer_months.gross_profit) as gross_profit
    from customer_months
    inner join first_months
        on customer_months.customer_id = first_months.customer_id
    group by
        first_months.cohort_month,
        cast(
            {{ dbt.datediff('first_months.cohort_month', 'customer_months.activity_month', 'month') }}
            as {{ dbt.type_bigint() }}
        )
),

digits as (
    select ten.d
    from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as ten (d)
),

month_offsets as (
    -- 0 .. 999 months: over 80 years of history.
    select a.d + 10 * b.d + 100 * c.d as month_offset
    from digits as a
    cross join digits as b
    cross join digits as c
),

grid as (
    -- Every offset of every cohort, so a month without activity is a row with 0.
    select
        cohorts.cohort_month,
        cohorts.cohort_size,
        month_offsets.month_offset
    from cohorts
    cross join as_of_month
    inner join month_offsets
        on month_offsets.month_offset
        <= {{ dbt.datediff('cohorts.cohort_month', 'as_of_month.month_start', 'month') }}
),

monthly as (
    select
        grid.cohort_month,
        grid.month_offset,
        grid.cohort_size,
        coalesce(activity.active_customers, 0) as active_customers,
        coalesce(activity.net_revenue, 0) as net_revenue,
        coalesce(activity.gross_profit, 0) as gross_profit
    from grid
    left join activity
        on grid.cohort_month = activity.cohort_month
        and grid.month_offset = activity.month_offset
),

final as (
    select
        monthly.cohort_month,
        monthly.month_offset,
        monthly.cohort_size,
        monthly.active_customers,
        monthly.active_customers / cast(monthly.cohort_size as {{ type_double() }}) as retention_rate,
        monthly.net_revenue,
        monthly.gross_profit,
        sum(monthly.net_revenue) over (
            partition by monthly.cohort_month
            order by monthly.month_offset
            rows between unbounded preceding and current row
        ) / monthly.cohort_size as cumulative_net_revenue_per_customer,
        sum(monthly.gross_profit) over (
            partition by monthly.cohort_month
            order by monthly.month_offset
            rows between unbounded preceding and current row
        ) / monthly.cohort_size as cumulative_gross_profit_per_customer,
        params.as_of_date
    from monthly
    cross join params
)

select * from final
