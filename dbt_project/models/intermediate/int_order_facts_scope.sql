{#- One row: whether this run recomputes the kept order facts (order_fact_model_names)
    whole, and why; else they recompute the orders of int_orders__recomputed only. Whole
    when there is no record of an earlier complete build, when a business setting or a
    model's SQL changed (the fingerprint), when an earlier run started recomputing all
    and did not finish, or when a kept model is missing. An earlier run that started
    recomputing some orders and did not finish hands them on (carry_earlier), so that
    they are recomputed again whatever their inputs now. Also what this build reads: the
    newest load of each staged sales table, for the next run to compare. None of it
    where the facts are rebuilt whole each run (Spark). -#}
{%- set kept = history_materialization() == 'incremental' -%}
{%- set built = none -%}
{%- set previous = none -%}
{%- set missing = [] -%}
{%- if execute and kept and not flags.FULL_REFRESH -%}
{%- set built = adapter.get_relation(database=this.database, schema='audit', identifier='built_order_facts') -%}
{%- set previous = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
{%- for name in order_fact_model_names() -%}
{%- if adapter.get_relation(database=this.database, schema=this.schema, identifier=name) is none -%}
{%- do missing.append(name) -%}
{%- endif -%}
{%- endfor -%}
{%- endif -%}
{#- A record written by another version of the project, in other columns, is no record. -#}
{%- if built is not none and not has_columns(built, ['record_kind', 'build_fingerprint', 'build_token', 'built_as_of', 'orders_loaded_to', 'lines_loaded_to', 'returns_loaded_to']) -%}
{%- set built = none -%}
{%- endif -%}
{%- if previous is not none and not has_columns(previous, ['recompute_all', 'build_token']) -%}
{%- set previous = none -%}
{%- endif -%}

with

params as (
    select * from {{ ref('int_run_parameters') }}
),

orders as (
    select * from {{ ref('stg_sales__orders') }}
),

lines as (
    select * from {{ ref('stg_sales__order_lines') }}
),

returns as (
    select * from {{ ref('stg_sales__returns') }}
),

loaded_to as (
    select
        (select max(loaded_at) from orders) as orders_loaded_to,
        (select max(loaded_at) from lines) as lines_loaded_to,
        (select max(loaded_at) from returns) as returns_loaded_to
),

{% if built is not none %}
last_build as (
    select
        build_fingerprint,
        build_token
    from {{ built }}
    where record_kind = 'build'
),

{% endif %}
reasons as (
    {% if not kept %}
    select 'rebuilt whole on this engine' as reason
    {% elif built is none %}
    select 'no record of an earlier build' as reason
    {% else %}
    select 'settings or models changed' as reason
    from last_build
    where build_fingerprint <> '{{ history_fingerprint() }}'
    union all
    {% if previous is not none %}
    select 'unfinished earlier build' as reason
    from {{ previous }} as earlier
    cross join last_build
    where earlier.build_token <> last_build.build_token
        and earlier.recompute_all
    {% else %}
    select 'no record of the earlier scope' as reason
    {% endif %}
    {% for name in missing %}
    union all
    select 'missing {{ name }}' as reason
    {% endfor %}
    {% endif %}
),

first_reason as (
    select min(reason) as reason
    from reasons
),

unfinished as (
    {% if built is not none and previous is not none %}
    select count(*) > 0 as carry_earlier
    from {{ previous }} as earlier
    cross join last_build
    where earlier.build_token <> last_build.build_token
    {% else %}
    select false as carry_earlier
    {% endif %}
),

final as (
    select
        first_reason.reason is not null as recompute_all,
        coalesce(first_reason.reason, 'changed orders only') as reason,
        unfinished.carry_earlier and first_reason.reason is null as carry_earlier,
        params.as_of_date,
        loaded_to.orders_loaded_to,
        loaded_to.lines_loaded_to,
        loaded_to.returns_loaded_to,
        '{{ history_fingerprint() }}' as fingerprint,
        '{{ invocation_id }}' as build_token
    from params
    cross join loaded_to
    cross join first_reason
    cross join unfinished
)

select * from final
