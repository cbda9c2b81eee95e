{#- Who was lost and why, by dimension: customers with orders, how many are at risk or
    churned, the revenue that left with the churned (their last active year), and the
    signals before it (complaints and days without contact before the last order).
    Tier and quadrant are the ones the customer had at the month end of their last
    order, before they left; churn_month groups churned customers by churned_on and
    churn_reason the at-risk and churned customers by the first signal they showed. -#}
with

customers as (
    select * from {{ ref('customer_value') }}
),

history as (
    select * from {{ ref('customer_tier_history') }}
),

buyers as (
    select
        customers.*,
        coalesce(history.pareto_tier, customers.pareto_tier) as tier_before_churn,
        coalesce(history.quadrant, customers.quadrant) as quadrant_before_churn,
        {{ dbt.date_trunc('month', 'customers.churned_on') }} as churn_month_start
    from customers
    left join history
        on customers.customer_id = history.customer_id
        and history.month_end = cast({{ dbt.last_day('customers.last_order_date', 'month') }} as date)
    where customers.first_order_date is not null
),

{% set dimensions = [
    'tier_before_churn', 'quadrant_before_churn', 'region', 'acquisition_channel',
    'account_manager', 'churn_month', 'churn_reason'] %}
final as (
    {% for dimension in dimensions %}
    select
        '{{ dimension }}' as dimension,
        {% if dimension == 'churn_month' -%}
        cast(cast(churn_month_start as date) as {{ dbt.type_string() }})
        {%- else -%}
        coalesce(cast({{ dimension }} as {{ dbt.type_string() }}), '(unknown)')
        {%- endif %} as dimension_value,
        count(*) as customers,
        count(*) filter (where churn_status = 'active') as active_customers,
        count(*) filter (where churn_status = 'at_risk') as at_risk_customers,
        count(*) filter (where churn_status = 'churned') as churned_customers,
        count(*) filter (where churn_status = 'churned') / cast(count(*) as {{ type_double() }})
            as churn_rate,
        coalesce(sum(net_revenue_last_active_year) filter (where churn_status = 'churned'), 0)
            as churned_revenue_lost,
        coalesce(sum(net_revenue_window) filter (where churn_status = 'at_risk'), 0)
            as at_risk_net_revenue_window,
        avg(complaints_before_last_order) filter (where churn_status = 'churned')
            as churned_avg_complaints_before_last_order,
        count(*) filter (where churn_status = 'churned' and complaints_before_last_order > 0)
            as churned_with_complaints,
        avg(days_without_contact_before_last_order) filter (where churn_status = 'churned')
            as churned_avg_days_without_contact,
        avg(complaints_before_last_order) filter (where churn_status = 'active')
            as active_avg_complaints_before_last_order,
        max(as_of_date) as as_of_date
    from buyers
    {% if dimension == 'churn_month' %}where churn_status = 'churned'{% endif %}
    {% if dimension == 'churn_reason' %}where churn_status in ('at_risk', 'churned'){% endif %}
    group by 2
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
