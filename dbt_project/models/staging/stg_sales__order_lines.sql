{{
    config(
        materialized=staging_materialization(),
        unique_key=['order_id', 'line_number'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

source as (
    {{ latest_batch(source('sales', 'order_lines'), ['order_id', 'line_number'], incremental=true) }}
),

final as (
    select
        order_id,
        line_number,
        product_id,
        product_category,
        quantity,
        unit_price,
        discount_amount,
        unit_cost,
        _batch as batch,
        _loaded_at as loaded_at
    from source
)

{{ keep_latest('final', ['order_id', 'line_number']) }}
