{{
    config(
        materialized=staging_materialization(),
        unique_key=['interaction_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

source as (
    {{ latest_batch(source('crm', 'interactions'), ['interaction_id'], incremental=true) }}
),

final as (
    select
        interaction_id,
        customer_id,
        occurred_at,
        cast(occurred_at as date) as occurred_on,
        channel,
        interaction_type,
        _batch as batch,
        _loaded_at as loaded_at
    from source
)

{{ keep_latest('final', ['interaction_id']) }}
