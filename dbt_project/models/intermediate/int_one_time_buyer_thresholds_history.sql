{#- The one-time-buyer gaps as they stood on each month end: percentiles (linear
    interpolation) of all gaps between consecutive distinct order dates of all
    customers up to the month end, read from a running histogram per month end: exact,
    without re-sorting every earlier gap for every month. -#}
{{ history_config() }}
with

month_ends as (
    select * from {{ ref('int_month_ends') }} {{ recomputed_months_only() }}
),

gaps as (
    select
        cast({{ dbt.last_day('order_date', 'month') }} as date) as gap_month_end,
        gap_days
    from {{ ref('int_customer_order_days') }}
    where gap_days is not null
),

monthly_histogram as (
    select
        gap_month_end,
        gap_days,
        count(*) as gaps
    from gaps
    group by gap_month_end, gap_days
),

histogram as (
    -- Every gap closed on or before the month end.
    select
        month_ends.month_end,
        monthly_histogram.gap_days,
        sum(monthly_histogram.gaps) as gaps
    from month_ends
    inner join monthly_histogram
        on month_ends.month_end >= monthly_histogram.gap_month_end
    group by month_ends.month_end, monthly_histogram.gap_days
),

cumulative as (
    select
        month_end,
        gap_days,
        sum(gaps) over (
            partition by month_end order by gap_days
            rows between unbounded preceding and current row
        ) as gaps_up_to,
        sum(gaps) over (partition by month_end) as total_gaps
    from histogram
),

final as (
    select
        month_end,
        max(total_gaps) as total_gaps,
        {{ histogram_percentile(var('one_time_at_risk_percentile'), 'gap_days', 'gaps_up_to', 'total_gaps') }}
            as one_time_at_risk_gap,
        {{ histogram_percentile(var('one_time_churn_percentile'), 'gap_days', 'gaps_up_to', 'total_gaps') }}
            as one_time_churn_gap
    from cumulative
    group by month_end
)

select * from final
