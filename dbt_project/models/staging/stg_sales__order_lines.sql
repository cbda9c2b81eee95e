with

source as (
    {{ latest_batch(source('sales', 'order_lines'), ['order_id', 'line_number']) }}
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
        _batch as batch
    from source
)

select * from final
