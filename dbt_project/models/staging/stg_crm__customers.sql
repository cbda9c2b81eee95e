with

source as (
    {{ latest_batch(source('crm', 'customers'), ['customer_id']) }}
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
        _batch as batch
    from source
)

select * from final
