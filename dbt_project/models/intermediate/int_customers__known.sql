{#- Every customer known on as_of_date: in CRM (created by then) or with a counted
    order, with CRM attributes where CRM knows the customer. Sales is the record of
    revenue: an order for a customer CRM does not know yet still counts. -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

crm as (
    select * from {{ ref('stg_crm__customers') }}
),

orders as (
    select * from {{ ref('int_orders__valued') }}
),

sales_customers as (
    select distinct customer_id from orders
),

all_ids as (
    select crm.customer_id
    from crm
    cross join params
    where cast(crm.created_at as date) <= params.as_of_date
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
