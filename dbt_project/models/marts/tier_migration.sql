{#- How customers moved between Pareto tiers, between quadrants and in and out of the
    key accounts from one year to the next: month ends a year apart, ending at the
    latest month end in the history. -#}
with

history as (
    select * from {{ ref('customer_tier_history') }}
),

history_bounds as (
    select
        min(month_end) as first_month_end,
        max(month_end) as latest_month_end
    from history
),

anniversaries as (
    -- The latest month end and the same month end in every earlier year.
    select distinct history.month_end as to_month_end
    from history
    cross join history_bounds
    where extract(month from history.month_end) = extract(month from history_bounds.latest_month_end)
),

pairs as (
    select
        cast({{ dbt.last_day(dbt.dateadd('year', -1, 'to_month_end'), 'month') }} as date) as from_month_end,
        to_month_end
    from anniversaries
),

moves as (
    select
        pairs.from_month_end,
        pairs.to_month_end,
        history_to.customer_id,
        history_from.pareto_tier as from_tier,
        history_to.pareto_tier as to_tier,
        history_from.quadrant as from_quadrant,
        history_to.quadrant as to_quadrant,
        -- Empty when the customer was not known a year before: not_a_customer below.
        case
            when history_from.is_key_account then 'key'
            when not history_from.is_key_account then 'not_key'
        end as from_key_account,
        case when history_to.is_key_account then 'key' else 'not_key' end as to_key_account,
        coalesce(history_from.net_revenue_window, 0) as from_net_revenue_window,
        history_to.net_revenue_window as to_net_revenue_window
    from pairs
    cross join history_bounds
    inner join history as history_to
        on pairs.to_month_end = history_to.month_end
    left join history as history_from
        on pairs.from_month_end = history_from.month_end
        and history_to.customer_id = history_from.customer_id
    -- Only years whose start is in the history.
    where pairs.from_month_end >= history_bounds.first_month_end
),

{% set dimensions = {
    'pareto_tier': ('from_tier', 'to_tier'),
    'quadrant': ('from_quadrant', 'to_quadrant'),
    'key_account': ('from_key_account', 'to_key_account'),
} %}
final as (
    {% for dimension, columns in dimensions.items() %}
    select
        '{{ dimension }}' as dimension,
        from_month_end,
        to_month_end,
        coalesce({{ columns[0] }}, 'not_a_customer') as from_value,
        {{ columns[1] }} as to_value,
        count(*) as customers,
        sum(from_net_revenue_window) as from_net_revenue_window,
        sum(to_net_revenue_window) as to_net_revenue_window
    from moves
    group by from_month_end, to_month_end, coalesce({{ columns[0] }}, 'not_a_customer'), {{ columns[1] }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
