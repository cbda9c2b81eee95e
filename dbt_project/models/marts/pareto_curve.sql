{#- The Pareto curve for plotting: for each measure (window net revenue, window gross
    profit), customers with a positive value ranked largest first, with the cumulative
    share of customers and of the measure at each rank. -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

customers as (
    select * from {{ ref('customer_value') }}
),

{% set measures = ['net_revenue_window', 'gross_profit_window'] %}
{% for measure in measures %}
{{ measure }}_ranking as (
    select
        '{{ measure }}' as measure,
        customer_id,
        {{ measure }} as value,
        row_number() over (order by {{ measure }} desc, customer_id asc) as customer_rank,
        count(*) over () as ranked_customers,
        sum({{ measure }}) over (
            order by {{ measure }} desc, customer_id asc
            rows between unbounded preceding and current row
        ) as cumulative_value,
        sum({{ measure }}) over () as total_value
    from customers
    where {{ measure }} > 0
),
{% endfor %}

ranked as (
    {% for measure in measures %}
    select * from {{ measure }}_ranking
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        ranked.measure,
        ranked.customer_rank,
        ranked.customer_id,
        ranked.value,
        ranked.customer_rank / cast(ranked.ranked_customers as {{ type_double() }})
            as cumulative_customer_share,
        ranked.cumulative_value / ranked.total_value as cumulative_value_share,
        params.as_of_date
    from ranked
    cross join params
)

select * from final
