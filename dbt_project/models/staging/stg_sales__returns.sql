{{
    config(
        materialized=staging_materialization(),
        unique_key=['return_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

source as (
    {{ latest_batch(source('sales', 'returns'), ['return_id'], incremental=true) }}
),

final as (
    select
        return_id,
        order_id,
        line_number,
        returned_at,
        cast(returned_at as date) as return_date,
        quantity,
        refund_amount,
        _batch as batch,
        _loaded_at as loaded_at
    from source
)

{{ keep_latest('final', ['return_id']) }}
