{#- Each customer's value window at each month end where they had an order in it:
    orders, revenue and gross profit net of the returns booked by the month end, and
    the customer's place in that month end's revenue and profit rankings. The value
    half of customer_tier_history; a model of its own so that the rankings sort these
    few columns, not the whole history row. -#}
{{ history_config() }}
with

month_ends as (
    select * from {{ ref('int_month_ends') }} {{ recomputed_months_only() }}
),

customer_days as (
    select * from {{ ref('int_customer_order_days') }}
),

returns as (
    select * from {{ ref('int_returns__valued') }}
),

window_sales as (
    -- Each order day counts at the month ends whose value window holds it, as sold...
    select
        month_ends.month_end,
        customer_days.customer_id,
        -- A whole number on every engine (PostgreSQL sums bigints to numeric).
        cast(sum(customer_days.orders) as {{ dbt.type_bigint() }}) as orders_window,
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

final as (
    -- Tiers rank the customers with revenue; profit bands every customer with an order.
    select
        month_end,
        customer_id,
        orders_window,
        net_revenue_window,
        gross_profit_window,
        case
            when net_revenue_window > 0
                then {{ revenue_ranked_through('net_revenue_window', 'month_end, net_revenue_window > 0') }}
                - net_revenue_window
        end as revenue_ranked_before,
        case
            when net_revenue_window > 0
                then sum(net_revenue_window) over (partition by month_end, net_revenue_window > 0)
        end as revenue_ranked_total,
        {{ profit_rank('gross_profit_window', 'month_end') }} as profit_rank,
        count(*) over (partition by month_end) as profit_ranked_customers,
        -- Ties included: the key-account score's profit rank is read from it. Ordered
        -- as profit_rank, so it takes no sort of its own.
        count(*) over (
            partition by month_end
            order by gross_profit_window desc
            range between unbounded preceding and current row
        ) as profit_at_least_customers
    from window_facts
)

select * from final
