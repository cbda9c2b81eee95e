{{
    config(
        materialized=staging_materialization(),
        unique_key=['order_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

source as (
    {{ latest_batch(source('sales', 'orders'), ['order_id'], incremental=true) }}
),

final as (
    select
        order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        channel,
        currency,
        status,
        status = 'completed' as is_completed,
        shipping_cost,
        _batch as batch,
        _loaded_at as loaded_at
    from source
)

{{ keep_latest('final', ['order_id']) }}
