{#- The gaps one-time buyers are judged by: percentiles (linear interpolation) of all
    gaps between consecutive distinct order dates of all customers up to as_of_date.
    Empty when nobody has ordered twice; the floors then apply alone. -#}
with

gaps as (
    select gap_days from {{ ref('int_customer_order_days') }} where gap_days is not null
),

final as (
    select
        percentile_cont({{ var('one_time_at_risk_percentile') }}) within group (order by gap_days)
            as at_risk_gap_days,
        percentile_cont({{ var('one_time_churn_percentile') }}) within group (order by gap_days)
            as churn_gap_days,
        count(*) as gaps
    from gaps
)

select * from final
