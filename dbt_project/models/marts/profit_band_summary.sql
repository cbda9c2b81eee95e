{#- Per profit band (20/60/20): how many customers, what they bring, cost and earn in
    the value window, the effort spent on them (interactions), and what to do about
    them. Every band has a row, empty ones too, so reports keep their shape. -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

customers as (
    select * from {{ ref('customer_value') }}
),

actions as (
    select * from {{ ref('profit_band_actions') }}
),

totals as (
    select sum(gross_profit_window) as gross_profit_window
    from customers
),

by_band as (
    select
        profit_band,
        count(*) as customers,
        count(*) filter (where is_loss_making) as loss_making_customers,
        sum(net_revenue_window) as net_revenue_window,
        sum(gross_profit_window) as gross_profit_window,
        sum(cost_to_serve_window) as cost_to_serve_window,
        -- A customer without an engagement row had no interactions.
        sum(coalesce(interactions_window, 0)) as interactions_window
    from customers
    group by profit_band
),

final as (
    select
        actions.profit_band,
        actions.sort_order,
        actions.label_en,
        actions.label_zh,
        coalesce(by_band.customers, 0) as customers,
        coalesce(by_band.loss_making_customers, 0) as loss_making_customers,
        coalesce(by_band.net_revenue_window, 0) as net_revenue_window,
        coalesce(by_band.gross_profit_window, 0) as gross_profit_window,
        coalesce(by_band.cost_to_serve_window, 0) as cost_to_serve_window,
        case
            when by_band.net_revenue_window > 0
                then by_band.gross_profit_window / by_band.net_revenue_window
        end as gross_margin,
        -- A share of a total that is zero or negative says nothing: left empty.
        case
            when totals.gross_profit_window > 0
                then coalesce(by_band.gross_profit_window, 0) / totals.gross_profit_window
        end as profit_share,
        case
            when by_band.customers > 0
                then by_band.interactions_window / cast(by_band.customers as {{ type_double() }})
        end as interactions_window_per_customer,
        actions.action_en,
        actions.action_zh,
        params.as_of_date
    from actions
    cross join totals
    cross join params
    left join by_band
        on actions.profit_band = by_band.profit_band
)

select * from final
