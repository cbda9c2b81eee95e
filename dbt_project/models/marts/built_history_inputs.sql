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
        other_date,
        other_key,
        count_value,
        amount_1,
        amount_2,
        cast(null as {{ dbt.type_string() }}) as build_fingerprint,
        cast(null as {{ dbt.type_string() }}) as build_token,
        cast(null as date) as built_as_of
    from inputs
    union all
    select
        'build' as input_kind,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        recompute_from as effective_date,
        cast(null as date) as other_date,
        cast(null as {{ dbt.type_string() }}) as other_key,
        cast(null as {{ dbt.type_bigint() }}) as count_value,
        cast(null as decimal(38, 9)) as amount_1,
        cast(null as decimal(38, 9)) as amount_2,
        fingerprint as build_fingerprint,
        build_token,
        as_of_date as built_as_of
    from recompute
)

select * from final
