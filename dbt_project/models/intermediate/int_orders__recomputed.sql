{#- The orders whose facts this run recomputes when it does not recompute them whole
    (int_order_facts_scope): every order whose inputs may differ from those of the last
    complete build (audit.built_order_facts). An order, a line or a return loaded since;
    an order on a day whose FX rate differs (a late or restated rate); and when
    as_of_date moved, the orders and returns dated between the two dates and the orders
    entering or leaving the value window or the one before it; and the orders an
    earlier run that did not finish recomputed (int_order_facts_scope.carry_earlier),
    as this model held them before this run. With the customer each
    order belonged to before, whose order days are recomputed too. Empty on a whole
    recompute. -#}
{%- set built = none -%}
{%- set stored = none -%}
{%- set earlier = none -%}
{%- if execute and history_materialization() == 'incremental' and not flags.FULL_REFRESH -%}
{%- set built = adapter.get_relation(database=this.database, schema='audit', identifier='built_order_facts') -%}
{%- set stored = adapter.get_relation(database=this.database, schema=this.schema, identifier='int_orders__valued') -%}
{%- set earlier = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
{%- endif -%}
{%- if earlier is not none and not has_columns(earlier, ['order_id']) -%}
{%- set earlier = none -%}
{%- endif -%}
{%- if built is not none and not has_columns(built, ['record_kind', 'currency', 'rate_day', 'rate_to_reporting', 'built_as_of', 'orders_loaded_to', 'lines_loaded_to', 'returns_loaded_to']) -%}
{%- set built = none -%}
{%- endif -%}

-- Read only when there is an earlier build: dbt orders the models by them either way.
-- depends_on: {{ ref('stg_sales__orders') }}
-- depends_on: {{ ref('stg_sales__order_lines') }}
-- depends_on: {{ ref('stg_sales__returns') }}
-- depends_on: {{ ref('int_fx_rates__daily') }}
with

scope as (
    select * from {{ ref('int_order_facts_scope') }}
),

{% if built is not none and stored is not none %}
orders as (
    select * from {{ ref('stg_sales__orders') }}
),

lines as (
    select * from {{ ref('stg_sales__order_lines') }}
),

returns as (
    select * from {{ ref('stg_sales__returns') }}
),

fx_daily as (
    select * from {{ ref('int_fx_rates__daily') }}
),

built as (
    select * from {{ built }}
),

last_build as (
    -- A table that was empty then: every row it holds now is new.
    select
        built_as_of,
        coalesce(orders_loaded_to, cast('1900-01-01' as timestamp)) as orders_loaded_to,
        coalesce(lines_loaded_to, cast('1900-01-01' as timestamp)) as lines_loaded_to,
        coalesce(returns_loaded_to, cast('1900-01-01' as timestamp)) as returns_loaded_to
    from built
    where record_kind = 'build'
),

moved as (
    -- The two as_of_dates, earlier first; none when as_of_date did not move.
    select
        case when scope.as_of_date < last_build.built_as_of then scope.as_of_date else last_build.built_as_of end
            as earlier_as_of,
        case when scope.as_of_date < last_build.built_as_of then last_build.built_as_of else scope.as_of_date end
            as later_as_of
    from scope
    cross join last_build
    where scope.as_of_date <> last_build.built_as_of
),

rates_now as (
    select
        currency,
        rate_day,
        rate_to_reporting
    from fx_daily
),

rates_built as (
    select
        currency,
        rate_day,
        rate_to_reporting
    from built
    where record_kind = 'fx'
),

changed_rates as (
    select currency, rate_day from (select * from rates_now except select * from rates_built) as added
    union
    select currency, rate_day from (select * from rates_built except select * from rates_now) as removed
),

changed as (
    select orders.order_id
    from orders
    cross join last_build
    where orders.loaded_at > last_build.orders_loaded_to
    union
    select lines.order_id
    from lines
    cross join last_build
    where lines.loaded_at > last_build.lines_loaded_to
    union
    select returns.order_id
    from returns
    cross join last_build
    where returns.loaded_at > last_build.returns_loaded_to
    union
    select orders.order_id
    from orders
    inner join changed_rates
        on orders.currency = changed_rates.currency
        and orders.order_date = changed_rates.rate_day
    union
    -- Counted from one as_of_date and not the other, or in another window.
    {% set window = var('value_window_days') -%}
    select orders.order_id
    from orders
    cross join moved
    where (orders.order_date > moved.earlier_as_of and orders.order_date <= moved.later_as_of)
        or (
            orders.order_date > {{ add_days('moved.earlier_as_of', -1 * window) }}
            and orders.order_date <= {{ add_days('moved.later_as_of', -1 * window) }}
        )
        or (
            orders.order_date > {{ add_days('moved.earlier_as_of', -2 * window) }}
            and orders.order_date <= {{ add_days('moved.later_as_of', -2 * window) }}
        )
    union
    select returns.order_id
    from returns
    cross join moved
    where returns.return_date > moved.earlier_as_of and returns.return_date <= moved.later_as_of
    {% if earlier is not none %}
    union
    select handed_on.order_id
    from {{ earlier }} as handed_on
    cross join scope
    where scope.carry_earlier
    {% endif %}
),

final as (
    select
        changed.order_id,
        stored.customer_id as previous_customer_id
    from changed
    cross join scope
    left join {{ stored }} as stored
        on changed.order_id = stored.order_id
    where not scope.recompute_all
)
{% else %}
final as (
    select
        cast(null as {{ dbt.type_string() }}) as order_id,
        cast(null as {{ dbt.type_string() }}) as previous_customer_id
    from scope
    where 1 = 0
)
{% endif %}

select * from final
