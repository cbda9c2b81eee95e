{#- Tier, profit band, quadrant and churn status of every customer at every month end
    in the data, recomputed from dated facts with the same rules as customer_value
    (macros/rules.sql), so the history can be rebuilt or backfilled at any time. -#}
with

month_ends as (
    select * from {{ ref('int_month_ends') }}
),

customers as (
    select * from {{ ref('int_customers__known') }}
),

customer_days as (
    select * from {{ ref('int_customer_order_days') }}
),

order_history as (
    select * from {{ ref('int_customer_order_history') }}
),

returns as (
    select * from {{ ref('int_returns__valued') }}
),

first_orders as (
    select customer_id, min(order_date) as first_order_date
    from customer_days
    group by customer_id
),

known as (
    -- A customer exists from their CRM record or first order, whichever is earlier.
    select
        customers.customer_id,
        first_orders.first_order_date,
        case
            when first_orders.first_order_date is null then cast(customers.created_at as date)
            when customers.created_at is null then first_orders.first_order_date
            when cast(customers.created_at as date) < first_orders.first_order_date
                then cast(customers.created_at as date)
            else first_orders.first_order_date
        end as known_from
    from customers
    left join first_orders
        on customers.customer_id = first_orders.customer_id
),

grid as (
    select
        known.customer_id,
        month_ends.month_end,
        case when known.first_order_date <= month_ends.month_end
            then known.first_order_date end as first_order_date
    from known
    inner join month_ends
        on month_ends.month_end >= known.known_from
),

window_sales as (
    -- Each order day counts at the month ends whose value window holds it, as sold...
    select
        month_ends.month_end,
        customer_days.customer_id,
        sum(customer_days.orders) as orders_window,
        sum(customer_days.revenue_before_returns) as revenue,
        sum(customer_days.gross_profit_before_returns) as gross_profit
    from customer_days
    inner join month_ends
        on customer_days.order_date <= month_ends.month_end
        and customer_days.order_date > {{ add_days('month_ends.month_end', -1 * var('value_window_days')) }}
    group by month_ends.month_end, customer_days.customer_id
),

window_returns as (
    -- ...less the returns of those orders booked by the month end.
    select
        month_ends.month_end,
        returns.customer_id,
        sum(returns.refund) as refund,
        sum(returns.refund - returns.returned_cost) as lost_profit
    from returns
    inner join month_ends
        on returns.order_date <= month_ends.month_end
        and returns.order_date > {{ add_days('month_ends.month_end', -1 * var('value_window_days')) }}
        and returns.return_date <= month_ends.month_end
    group by month_ends.month_end, returns.customer_id
),

window_facts as (
    select
        window_sales.month_end,
        window_sales.customer_id,
        window_sales.orders_window,
        window_sales.revenue - coalesce(window_returns.refund, 0) as net_revenue_window,
        window_sales.gross_profit - coalesce(window_returns.lost_profit, 0) as gross_profit_window
    from window_sales
    left join window_returns
        on window_sales.customer_id = window_returns.customer_id
        and window_sales.month_end = window_returns.month_end
),

monthly_last_order as (
    -- The customer's last order day in each month, with what was known on it.
    select *
    from (
        select
            customer_id,
            cast({{ dbt.last_day('order_date', 'month') }} as date) as month_end,
            order_date as last_order_date,
            order_days_to_date,
            typical_gap_days_to_date,
            row_number() over (
                partition by customer_id, {{ dbt.date_trunc('month', 'order_date') }}
                order by order_date desc
            ) as day_rank
        from order_history
    ) as ranked
    where day_rank = 1
),

grid_with_last_month as (
    select
        grid.*,
        max(monthly_last_order.month_end) over (
            partition by grid.customer_id
            order by grid.month_end
            rows between unbounded preceding and current row
        ) as last_order_month_end
    from grid
    left join monthly_last_order
        on grid.customer_id = monthly_last_order.customer_id
        and grid.month_end = monthly_last_order.month_end
),

one_time_thresholds as (
    -- The one-time-buyer gaps as they stood on each month end.
    select * from {{ ref('int_one_time_buyer_thresholds_history') }}
),

facts as (
    select
        grid.customer_id,
        grid.month_end,
        grid.first_order_date,
        last_order.last_order_date,
        coalesce(last_order.order_days_to_date, 0) as order_days,
        last_order.typical_gap_days_to_date as typical_gap_days,
        {{ dbt.datediff('last_order.last_order_date', 'grid.month_end', 'day') }} as recency_days,
        coalesce(window_facts.orders_window, 0) as orders_window,
        coalesce(window_facts.net_revenue_window, 0) as net_revenue_window,
        coalesce(window_facts.gross_profit_window, 0) as gross_profit_window,
        one_time_thresholds.one_time_at_risk_gap,
        one_time_thresholds.one_time_churn_gap
    from grid_with_last_month as grid
    left join monthly_last_order as last_order
        on grid.customer_id = last_order.customer_id
        and grid.last_order_month_end = last_order.month_end
    left join window_facts
        on grid.customer_id = window_facts.customer_id
        and grid.month_end = window_facts.month_end
    left join one_time_thresholds
        on grid.month_end = one_time_thresholds.month_end
),

pareto_ranking as (
    select
        customer_id,
        month_end,
        sum(net_revenue_window) over (
            partition by month_end
            order by net_revenue_window desc, customer_id
            rows between unbounded preceding and current row
        ) as cumulative_revenue,
        sum(net_revenue_window) over (partition by month_end) as ranked_revenue_total
    from facts
    where net_revenue_window > 0
),

profit_ranking as (
    select
        customer_id,
        month_end,
        row_number() over (
            partition by month_end order by gross_profit_window desc, customer_id
        ) as profit_rank,
        count(*) over (partition by month_end) as profit_ranked_customers
    from facts
    where orders_window > 0
),

classified as (
    select
        facts.*,
        {{ pareto_tier(
            'facts.net_revenue_window',
            'pareto_ranking.cumulative_revenue - facts.net_revenue_window',
            'pareto_ranking.ranked_revenue_total') }} as pareto_tier,
        {{ profit_band('profit_ranking.profit_rank', 'profit_ranking.profit_ranked_customers') }}
            as profit_band,
        {{ at_risk_threshold('facts.order_days', 'facts.typical_gap_days', 'facts.one_time_at_risk_gap') }}
            as at_risk_after_days,
        {{ churn_threshold('facts.order_days', 'facts.typical_gap_days', 'facts.one_time_churn_gap') }}
            as churn_after_days
    from facts
    left join pareto_ranking
        on facts.customer_id = pareto_ranking.customer_id
        and facts.month_end = pareto_ranking.month_end
    left join profit_ranking
        on facts.customer_id = profit_ranking.customer_id
        and facts.month_end = profit_ranking.month_end
),

final as (
    select
        month_end,
        customer_id,
        pareto_tier,
        profit_band,
        {{ quadrant('first_order_date', 'orders_window > 0', 'pareto_tier', 'month_end') }} as quadrant,
        {{ churn_status('first_order_date', 'recency_days', 'at_risk_after_days', 'churn_after_days') }}
            as churn_status,
        first_order_date,
        last_order_date,
        recency_days,
        orders_window,
        net_revenue_window,
        gross_profit_window
    from classified
)

select * from final
