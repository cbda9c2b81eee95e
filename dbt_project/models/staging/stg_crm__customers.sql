{{
    config(
        materialized=staging_materialization(),
        unique_key=['customer_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

source as (
    {{ latest_batch(source('crm', 'customers'), ['customer_id'], incremental=true) }}
),

final as (
    select
        customer_id,
        customer_name,
        customer_type,
        industry,
        region,
        city,
        created_at,
        acquisition_channel,
        referred_by_customer_id,
        account_manager,
        crm_group,
        membership_level,
        phone,
        email,
        birthday,
        _batch as batch,
        _loaded_at as loaded_at
    from source
)

{{ keep_latest('final', ['customer_id']) }}
