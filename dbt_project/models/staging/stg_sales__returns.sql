with

source as (
    {{ latest_batch(source('sales', 'returns'), ['return_id']) }}
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
        _batch as batch
    from source
)

select * from final
