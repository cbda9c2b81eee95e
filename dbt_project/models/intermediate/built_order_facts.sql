{#- What the kept order facts were last built from: one 'build' row with the settings
    fingerprint, the run's token, its as_of_date and the newest load of each staged
    sales table it read, and one 'fx' row per currency and day with the rate it used.
    Built after the kept models and their tests, so it is written only once they all
    are; the next run's int_orders__recomputed compares with it. -#}
{{ config(schema='audit') }}
-- depends_on: {{ ref('int_order_lines__valued') }}
-- depends_on: {{ ref('int_orders__valued') }}
-- depends_on: {{ ref('int_customer_order_days') }}
-- depends_on: {{ ref('int_customer_order_history') }}
-- depends_on: {{ ref('int_orders__converted') }}
with

scope as (
    select * from {{ ref('int_order_facts_scope') }}
),

fx_daily as (
    select * from {{ ref('int_fx_rates__daily') }}
),

final as (
    select
        'build' as record_kind,
        fingerprint as build_fingerprint,
        build_token,
        as_of_date as built_as_of,
        orders_loaded_to,
        lines_loaded_to,
        returns_loaded_to,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as date) as rate_day,
        -- Typed by the rates below.
        null as rate_to_reporting
    from scope
    union all
    select
        'fx' as record_kind,
        null as build_fingerprint,
        null as build_token,
        null as built_as_of,
        null as orders_loaded_to,
        null as lines_loaded_to,
        null as returns_loaded_to,
        currency,
        rate_day,
        rate_to_reporting
    from fx_daily
)

select * from final
