{#- How many customers with orders hold each value of the key-account measures that are
    whole numbers, at every month end: the percentile rank of a value is the customers
    below it over the customers less one, so int_customer_month_end_key_account looks
    the ranks up here instead of sorting every customer for each measure. A model of
    its own so that each table is read once per plan (a twice-read one would be held
    whole). -#}
{{ history_config() }}
with

ordering as (
    select * from {{ ref('int_customer_month_end_orders') }} {{ recomputed_months_only() }}
),

value as (
    select * from {{ ref('int_customer_month_end_value') }} {{ recomputed_months_only() }}
),

measures as (
    select measure_names.measure
    from (
        values ('tenure_days'), ('active_months_window'), ('referrals_made'), ('interactions_window')
    ) as measure_names (measure)
),

value_counts as (
    -- One pass over the customers with orders for the four measures.
    select
        ordering.month_end,
        measures.measure,
        case measures.measure
            when 'tenure_days' then {{ dbt.datediff('ordering.first_order_date', 'ordering.month_end', 'day') }}
            when 'active_months_window' then ordering.active_months_window
            when 'referrals_made' then ordering.referrals_made
            when 'interactions_window' then ordering.interactions_window
        end as measure_value,
        count(*) as customers
    from ordering
    cross join measures
    where ordering.first_order_date is not null
    group by
        ordering.month_end,
        measures.measure,
        case measures.measure
            when 'tenure_days' then {{ dbt.datediff('ordering.first_order_date', 'ordering.month_end', 'day') }}
            when 'active_months_window' then ordering.active_months_window
            when 'referrals_made' then ordering.referrals_made
            when 'interactions_window' then ordering.interactions_window
        end
),

window_buyer_counts as (
    -- Customers with an order in the window; those with orders but none in it have a
    -- profit of 0, above the loss-makers.
    select
        month_end,
        count(*) as window_buyers,
        count(*) filter (where gross_profit_window < 0) as loss_makers
    from value
    group by month_end
),

final as (
    select
        value_counts.month_end,
        value_counts.measure,
        value_counts.measure_value,
        value_counts.customers,
        sum(value_counts.customers) over (
            partition by value_counts.month_end, value_counts.measure
            order by value_counts.measure_value
            rows between unbounded preceding and current row
        ) - value_counts.customers as customers_below,
        sum(value_counts.customers) over (
            partition by value_counts.month_end, value_counts.measure
        ) as buyers,
        coalesce(window_buyer_counts.window_buyers, 0) as window_buyers,
        coalesce(window_buyer_counts.loss_makers, 0) as loss_makers
    from value_counts
    left join window_buyer_counts
        on value_counts.month_end = window_buyer_counts.month_end
)

select * from final
