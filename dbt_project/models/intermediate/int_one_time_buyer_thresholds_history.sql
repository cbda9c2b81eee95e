{#- The one-time-buyer gaps as they stood on each month end: percentiles (linear
    interpolation) of all gaps between consecutive distinct order dates of all
    customers up to the month end. Gaps are whole days, so a running histogram per
    month end answers exactly without re-sorting every earlier gap for every month. -#}
with

month_ends as (
    select * from {{ ref('int_month_ends') }}
),

gaps as (
    select order_date, gap_days
    from {{ ref('int_customer_order_days') }}
    where gap_days is not null
),

monthly_histogram as (
    select
        cast({{ dbt.last_day('order_date', 'month') }} as date) as gap_month_end,
        gap_days,
        count(*) as gaps
    from gaps
    group by 1, 2
),

histogram as (
    -- Every gap closed on or before the month end.
    select
        month_ends.month_end,
        monthly_histogram.gap_days,
        sum(monthly_histogram.gaps) as gaps
    from month_ends
    inner join monthly_histogram
        on monthly_histogram.gap_month_end <= month_ends.month_end
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

{% set percentiles = {
    'at_risk': var('one_time_at_risk_percentile'),
    'churn': var('one_time_churn_percentile')} %}
positions as (
    -- percentile_cont(p): position h = p x (n - 1) in the sorted gaps (0-based),
    -- between the values at floor(h) and ceil(h).
    select distinct
        month_end,
        total_gaps
        {%- for name, p in percentiles.items() %},
        {{ p }} * (total_gaps - 1) as {{ name }}_position
        {%- endfor %}
    from cumulative
),

final as (
    select
        positions.month_end,
        positions.total_gaps
        {%- for name, p in percentiles.items() %},
        min(case when cumulative.gaps_up_to > floor(positions.{{ name }}_position) then cumulative.gap_days end)
        + (positions.{{ name }}_position - floor(positions.{{ name }}_position)) * (
            min(case when cumulative.gaps_up_to > ceil(positions.{{ name }}_position) then cumulative.gap_days end)
            - min(case when cumulative.gaps_up_to > floor(positions.{{ name }}_position) then cumulative.gap_days end)
        ) as one_time_{{ name }}_gap
        {%- endfor %}
    from positions
    inner join cumulative
        on positions.month_end = cumulative.month_end
    group by positions.month_end, positions.total_gaps
        {%- for name, p in percentiles.items() %}, positions.{{ name }}_position{% endfor %}
)

select * from final
