{#- One row: how concentrated revenue and profit are (the observed "x/20") and the
    size and revenue share of each Pareto tier. -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

customers as (
    select * from {{ ref('customer_value') }}
),

{#- The observed "x/20" for each measure: the share of the ranked total brought by
    the first ceil(share x n) of the n customers with a positive value. -#}
{% set measures = {'revenue': 'net_revenue_window', 'profit': 'gross_profit_window'} %}
{% for name, measure in measures.items() %}
{{ name }}_ranking as (
    select
        {{ measure }},
        row_number() over (order by {{ measure }} desc, customer_id asc) as customer_rank,
        count(*) over () as ranked_customers
    from customers
    where {{ measure }} > 0
),

{{ name }}_top as (
    select
        max(ranked_customers) as {{ name }}_ranked_customers,
        sum({{ measure }}) as ranked_{{ measure }},
        sum(
            case
                when customer_rank <= ceil({{ var('pareto_top_customer_share') }} * ranked_customers)
                    then {{ measure }}
                else 0
            end
        ) as top_{{ measure }}
    from {{ name }}_ranking
),

{% endfor %}
tiers as (
    select
        {% for tier in ['A', 'B', 'C', 'D'] %}
        count(*) filter (where pareto_tier = '{{ tier }}') as tier_{{ tier | lower }}_customers,
        coalesce(sum(net_revenue_window) filter (where pareto_tier = '{{ tier }}'), 0)
            as tier_{{ tier | lower }}_net_revenue_window,
        {% endfor %}
        count(*) as customers,
        sum(net_revenue_window) as net_revenue_window,
        sum(gross_profit_window) as gross_profit_window
    from customers
),

final as (
    select
        params.as_of_date,
        tiers.customers,
        tiers.net_revenue_window,
        tiers.gross_profit_window,
        coalesce(revenue_top.revenue_ranked_customers, 0) as revenue_ranked_customers,
        cast(
            ceil({{ var('pareto_top_customer_share') }} * coalesce(revenue_top.revenue_ranked_customers, 0))
            as integer
        ) as revenue_top_customers,
        revenue_top.top_net_revenue_window / revenue_top.ranked_net_revenue_window
            as top_customers_revenue_share,
        coalesce(profit_top.profit_ranked_customers, 0) as profit_ranked_customers,
        cast(
            ceil({{ var('pareto_top_customer_share') }} * coalesce(profit_top.profit_ranked_customers, 0))
            as integer
        ) as profit_top_customers,
        profit_top.top_gross_profit_window / profit_top.ranked_gross_profit_window
            as top_customers_profit_share,
        {% for tier in ['a', 'b', 'c', 'd'] -%}
        tiers.tier_{{ tier }}_customers,
        case
            when tiers.customers > 0
                then tiers.tier_{{ tier }}_customers / cast(tiers.customers as {{ type_double() }})
        end as tier_{{ tier }}_customer_share,
        tiers.tier_{{ tier }}_net_revenue_window,
        -- Share of the ranked (positive) window revenue; tier D holds none of it.
        case
            when revenue_top.ranked_net_revenue_window > 0
                then tiers.tier_{{ tier }}_net_revenue_window / revenue_top.ranked_net_revenue_window
            else 0
        end as tier_{{ tier }}_revenue_share,
        {% endfor -%}
        {{ var('pareto_a_cutoff') }} as pareto_a_cutoff,
        {{ var('pareto_b_cutoff') }} as pareto_b_cutoff
    from tiers
    cross join revenue_top
    cross join profit_top
    cross join params
)

select * from final
