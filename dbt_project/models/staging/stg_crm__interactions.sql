with

source as (
    {{ latest_batch(source('crm', 'interactions'), ['interaction_id']) }}
),

final as (
    select
        interaction_id,
        customer_id,
        occurred_at,
        cast(occurred_at as date) as occurred_on,
        channel,
        interaction_type,
        _batch as batch
    from source
)

select * from final
