{#- The churn rules next to the customer-base model (SPEC sections 4 and 8): per
    churn_status of the customers with orders, how alive the BG/NBD model thinks they
    are and what it expects of them. Where the two agree, churned customers have a low
    mean p_alive and active ones a high one. -#}
with

customers as (
    select * from {{ ref('customer_value') }}
),

params as (
    select * from {{ ref('int_run_parameters') }}
),

statuses as (
    select
        'active' as churn_status,
        1 as sort_order
    union all
    select
        'at_risk' as churn_status,
        2 as sort_order
    union all
    select
        'churned' as churn_status,
        3 as sort_order
),

by_status as (
    -- The model's doubles are summed as decimals: a parallel sum of doubles depends on
    -- the order it adds them in, and the same inputs must give the same mart.
    select
        churn_status,
        count(*) as customers,
        count(p_alive) as customers_predicted,
        avg(cast(p_alive as decimal(38, 15))) as mean_p_alive,
        sum(case when p_alive >= 0.5 then 1 else 0 end) as customers_likely_alive,
        sum(cast(expected_orders_365d as decimal(38, 12))) as expected_orders_365d,
        sum(cast(predicted_revenue_365d as decimal(38, 6))) as predicted_revenue_365d,
        sum(net_revenue_window) as net_revenue_window
    from customers
    where first_order_date is not null
    group by churn_status
),

final as (
    select
        statuses.churn_status,
        statuses.sort_order,
        coalesce(by_status.customers, 0) as customers,
        coalesce(by_status.customers_predicted, 0) as customers_predicted,
        by_status.mean_p_alive,
        coalesce(by_status.customers_likely_alive, 0) as customers_likely_alive,
        by_status.expected_orders_365d,
        by_status.predicted_revenue_365d,
        coalesce(by_status.net_revenue_window, 0) as net_revenue_window,
        params.as_of_date
    from statuses
    cross join params
    left join by_status
        on statuses.churn_status = by_status.churn_status
)

select * from final
