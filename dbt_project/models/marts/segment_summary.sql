{#- Customer groups and membership side by side: per dimension (crm_group,
    membership_level, customer_type, industry, region, acquisition_channel,
    account_manager) and value, how many customers, what they bring and earn in the
    value window, how many are tier A, core or key accounts, and how many are at risk
    or gone. Every customer of customer_value counts once in every dimension; a
    missing or blank value is grouped as (unknown). -#}
{% set dimensions = [
    'crm_group', 'membership_level', 'customer_type', 'industry', 'region',
    'acquisition_channel', 'account_manager'] %}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

customers as (
    select * from {{ ref('customer_value') }}
),

labelled as (
    select
        {% for dimension in dimensions -%}
        coalesce(nullif(trim(cast({{ dimension }} as {{ dbt.type_string() }})), ''), '(unknown)')
            as {{ dimension }}_value,
        {% endfor -%}
        orders_window > 0 as has_window_order,
        first_order_date is not null as has_order,
        net_revenue_window,
        gross_profit_window,
        pareto_tier = 'A' as is_tier_a,
        is_core_customer,
        is_key_account,
        churn_status,
        -- A customer without an engagement row had no interactions.
        coalesce(interactions_window, 0) as interactions_window
    from customers
),

totals as (
    select sum(net_revenue_window) as net_revenue_window
    from customers
),

by_value as (
    {% for dimension in dimensions %}
    select
        '{{ dimension }}' as dimension,
        {{ dimension }}_value as value,
        count(*) as customers,
        count(*) filter (where has_window_order) as customers_with_window_order,
        count(*) filter (where has_order) as customers_with_orders,
        sum(net_revenue_window) as net_revenue_window,
        sum(gross_profit_window) as gross_profit_window,
        count(*) filter (where is_tier_a) as tier_a_customers,
        count(*) filter (where is_core_customer) as core_customers,
        count(*) filter (where is_key_account) as key_accounts,
        count(*) filter (where churn_status = 'at_risk') as at_risk_customers,
        count(*) filter (where churn_status = 'churned') as churned_customers,
        coalesce(sum(net_revenue_window) filter (where churn_status = 'at_risk'), 0) as revenue_at_risk,
        sum(interactions_window) as interactions_window
    from labelled
    group by {{ dimension }}_value
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        by_value.dimension,
        by_value.value,
        by_value.customers,
        by_value.customers_with_window_order,
        by_value.net_revenue_window,
        by_value.gross_profit_window,
        case
            when by_value.net_revenue_window > 0
                then by_value.gross_profit_window / by_value.net_revenue_window
        end as gross_margin,
        -- A share of a total that is zero or negative says nothing: left empty.
        case
            when totals.net_revenue_window > 0
                then by_value.net_revenue_window / totals.net_revenue_window
        end as revenue_share,
        by_value.tier_a_customers,
        by_value.core_customers,
        by_value.key_accounts,
        by_value.at_risk_customers,
        by_value.churned_customers,
        case
            when by_value.customers_with_orders > 0
                then by_value.churned_customers / cast(by_value.customers_with_orders as {{ type_double() }})
        end as churn_rate,
        by_value.revenue_at_risk,
        by_value.interactions_window / cast(by_value.customers as {{ type_double() }})
            as interactions_window_per_customer,
        params.as_of_date
    from by_value
    cross join totals
    cross join params
)

select * from final
