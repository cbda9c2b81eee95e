{#- The facts the month-end history was last built from (int_history_inputs) and one
    'build' row with the settings fingerprint, the run's token and its as_of_date. Built
    after customer_tier_history and its tests, so it is written only once the whole
    history is; the next run compares its facts with these. -#}
{{ config(schema='audit') }}
-- depends_on: {{ ref('customer_tier_history') }}
with

inputs as (
    select * from {{ ref('int_history_inputs') }}
),

recompute as (
    select * from {{ ref('int_history_recompute_from') }}
),

final as (
    select
        input_kind,
        customer_id,
        effective_date,
        fact_digest,
        cast(null as {{ dbt.type_string() }}) as build_fingerprint,
        cast(null as {{ dbt.type_string() }}) as build_token,
        cast(null as date) as built_as_of
    from inputs
    union all
    select
        'build' as input_kind,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        recompute_from as effective_date,
        null as fact_digest,
        fingerprint as build_fingerprint,
        build_token,
        as_of_date as built_as_of
    from recompute
)

select * from final
