{#- The gaps one-time buyers are judged by: percentiles (linear interpolation) of all
    gaps between consecutive distinct order dates of all customers up to as_of_date,
    read from the histogram of gaps. Empty when nobody has ordered twice; the floors then
    apply alone. -#}
with

order_days as (
    select * from {{ ref('int_customer_order_days') }}
),

histogram as (
    select
        gap_days,
        count(*) as gaps
    from order_days
    where gap_days is not null
    group by gap_days
),

cumulative as (
    select
        gap_days,
        sum(gaps) over (order by gap_days rows between unbounded preceding and current row)
            as gaps_up_to,
        sum(gaps) over () as total_gaps
    from histogram
),

final as (
    select
        {{ histogram_percentile(var('one_time_at_risk_percentile'), 'gap_days', 'gaps_up_to', 'total_gaps') }}
            as at_risk_gap_days,
        {{ histogram_percentile(var('one_time_churn_percentile'), 'gap_days', 'gaps_up_to', 'total_gaps') }}
            as churn_gap_days,
        cast(coalesce(max(total_gaps), 0) as bigint) as gaps
    from cumulative
)

select * from final
