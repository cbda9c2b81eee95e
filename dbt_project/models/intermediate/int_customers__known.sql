{#- Every customer known to CRM or to sales (an order on or before as_of_date), with
    CRM attributes where CRM knows the customer. Sales is the record of revenue: an
    order for a customer CRM does not know yet still counts. -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

crm as (
    select * from {{ ref('stg_crm__customers') }}
),

orders as (
    select * from {{ ref('stg_sales__orders') }}
),

sales_customers as (
    select distinct orders.customer_id
    from orders
    cross join params
    where orders.order_date <= params.as_of_date
),

all_ids as (
    select customer_id from crm
    union
    select customer_id from sales_customers
),

final as (
    select
        all_ids.customer_id,
        crm.customer_id is not null as is_known_to_crm,
        crm.customer_name,
        crm.customer_type,
        crm.industry,
        crm.region,
        crm.city,
        crm.created_at,
        crm.acquisition_channel,
        crm.referred_by_customer_id,
        crm.account_manager,
        crm.crm_group,
        crm.membership_level
    from all_ids
    left join crm
        on all_ids.customer_id = crm.customer_id
)

select * from final
