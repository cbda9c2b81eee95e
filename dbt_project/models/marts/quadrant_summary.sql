{#- Per quadrant: how many customers, what they bring and cost, and what to do about
    them. Every quadrant has a row, empty ones too, so reports keep their shape. -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

customers as (
    select * from {{ ref('customer_value') }}
),

strategies as (
    select * from {{ ref('quadrant_strategies') }}
),

totals as (
    select
        count(*) as customers,
        sum(net_revenue_window) as net_revenue_window,
        sum(gross_profit_window) as gross_profit_window
    from customers
),

by_quadrant as (
    select
        quadrant,
        count(*) as customers,
        -- A whole number on every engine (PostgreSQL sums bigints to numeric).
        cast(sum(orders_window) as {{ dbt.type_bigint() }}) as orders_window,
        sum(net_revenue_window) as net_revenue_window,
        sum(gross_profit_window) as gross_profit_window,
        sum(cost_to_serve_window) as cost_to_serve_window,
        count(*) filter (where is_loss_making) as loss_making_customers,
        count(*) filter (where churn_status = 'at_risk') as at_risk_customers
    from customers
    group by quadrant
),

final as (
    select
        strategies.quadrant,
        strategies.sort_order,
        strategies.label_en,
        strategies.label_zh,
        coalesce(by_quadrant.customers, 0) as customers,
        case
            when totals.customers > 0
                then coalesce(by_quadrant.customers, 0) / cast(totals.customers as {{ type_double() }})
            else 0
        end as customer_share,
        coalesce(by_quadrant.orders_window, 0) as orders_window,
        coalesce(by_quadrant.net_revenue_window, 0) as net_revenue_window,
        case
            when totals.net_revenue_window > 0
                then coalesce(by_quadrant.net_revenue_window, 0) / totals.net_revenue_window
        end as revenue_share,
        coalesce(by_quadrant.gross_profit_window, 0) as gross_profit_window,
        case
            when by_quadrant.net_revenue_window > 0
                then by_quadrant.gross_profit_window / by_quadrant.net_revenue_window
        end as gross_margin,
        case
            when by_quadrant.orders_window > 0
                then by_quadrant.net_revenue_window / by_quadrant.orders_window
        end as avg_order_value,
        coalesce(by_quadrant.cost_to_serve_window, 0) as cost_to_serve_window,
        coalesce(by_quadrant.loss_making_customers, 0) as loss_making_customers,
        coalesce(by_quadrant.at_risk_customers, 0) as at_risk_customers,
        strategies.strategy_en,
        strategies.strategy_zh,
        params.as_of_date
    from strategies
    cross join totals
    cross join params
    left join by_quadrant
        on strategies.quadrant = by_quadrant.quadrant
)

select * from final
