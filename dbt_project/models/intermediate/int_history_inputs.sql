{#- Every fact the month-end history is computed from, one row each, in one shape:
    which input_kind, whose, the first day it can change a month end (effective_date) and
    the values the history reads (an order day's orders, revenue and profit before
    returns; a refund, which counts from its own booking; interactions a day; when a
    customer is known and who referred them). int_history_recompute_from compares these
    rows with those the history was last built from: a month end depends only on facts
    dated on or before it, so a fact that differs changes no month end before its
    effective_date. Amounts are compared as macro fact_amount gives them (exact
    decimals on DuckDB, rounded to a millionth elsewhere, so that sums added up in
    another order compare equal); the values are kept as one digest. -#}
with

order_days as (
    select * from {{ ref('int_customer_order_days') }}
),

returns as (
    select * from {{ ref('int_returns__valued') }}
),

interactions as (
    select * from {{ ref('stg_crm__interactions') }}
),

customers as (
    select * from {{ ref('int_customers__known') }}
),

first_orders as (
    select
        customer_id,
        min(order_date) as first_order_date
    from order_days
    group by customer_id
),

interaction_days as (
    select
        customer_id,
        occurred_on,
        count(*) as interactions
    from interactions
    group by customer_id, occurred_on
),

facts as (
    select
        'order_day' as input_kind,
        customer_id,
        order_date as effective_date,
        cast(null as date) as other_date,
        cast(null as {{ dbt.type_string() }}) as other_key,
        cast(orders as {{ dbt.type_bigint() }}) as count_value,
        {{ fact_amount('revenue_before_returns') }} as amount_1,
        {{ fact_amount('gross_profit_before_returns') }} as amount_2
    from order_days
    union all
    -- A refund counts at the month ends by which it is booked and its order placed;
    -- the earlier of the two dates beside it, so that both are compared.
    select
        'return' as input_kind,
        customer_id,
        {{ greatest_of('order_date', 'return_date') }} as effective_date,
        case when return_date < order_date then return_date else order_date end as other_date,
        return_id as other_key,
        cast(null as {{ dbt.type_bigint() }}) as count_value,
        {{ fact_amount('refund') }} as amount_1,
        {{ fact_amount('returned_cost') }} as amount_2
    from returns
    union all
    select
        'interaction' as input_kind,
        customer_id,
        occurred_on as effective_date,
        cast(null as date) as other_date,
        cast(null as {{ dbt.type_string() }}) as other_key,
        cast(interactions as {{ dbt.type_bigint() }}) as count_value,
        cast(null as {{ type_double() }}) as amount_1,
        cast(null as {{ type_double() }}) as amount_2
    from interaction_days
    union all
    -- A customer counts from the day they are known by (CRM record or first order);
    -- their referrer's referrals from the same day.
    select
        'customer' as input_kind,
        customers.customer_id,
        {{ known_from('customers.created_at', 'first_orders.first_order_date') }} as effective_date,
        cast(customers.created_at as date) as other_date,
        customers.referred_by_customer_id as other_key,
        cast(null as {{ dbt.type_bigint() }}) as count_value,
        cast(null as {{ type_double() }}) as amount_1,
        cast(null as {{ type_double() }}) as amount_2
    from customers
    left join first_orders
        on customers.customer_id = first_orders.customer_id
),

final as (
    -- The fact as one digest: the comparison then matches two narrow columns.
    select
        input_kind,
        customer_id,
        effective_date,
        {{ fact_digest(['input_kind', 'customer_id', 'other_date', 'other_key', 'count_value', 'amount_1', 'amount_2']) }}
            as fact_digest
    from facts
)

select * from final
