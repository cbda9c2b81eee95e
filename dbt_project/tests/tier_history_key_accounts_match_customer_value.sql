{#- At a month end that is the run's as_of_date, customer_tier_history recomputes on
    the same facts what customer_value computes: every customer must get the same
    key-account score and flag in both. Returns the customers that differ; passes
    trivially when as_of_date is not a month end. -#}
-- Shown in Dagster as a check on the history.
{{ config(meta={'dagster': {'ref': {'name': 'customer_tier_history'}}}) }}

with

params as (
    select * from {{ ref('int_run_parameters') }}
),

history as (
    select
        history.customer_id,
        history.key_account_score,
        history.is_key_account
    from {{ ref('customer_tier_history') }} as history
    inner join params
        on history.month_end = params.as_of_date
),

customer_value as (
    select
        customer_value.customer_id,
        customer_value.key_account_score,
        customer_value.is_key_account
    from {{ ref('customer_value') }} as customer_value
    cross join params
    where params.as_of_date = cast({{ dbt.last_day('params.as_of_date', 'month') }} as date)
),

final as (
    select
        coalesce(customer_value.customer_id, history.customer_id) as customer_id,
        customer_value.key_account_score as customer_value_score,
        history.key_account_score as history_score,
        customer_value.is_key_account as customer_value_is_key,
        history.is_key_account as history_is_key
    from customer_value
    full outer join history
        on customer_value.customer_id = history.customer_id
    where customer_value.customer_id is null
        or history.customer_id is null
        or customer_value.key_account_score <> history.key_account_score
        or customer_value.is_key_account <> history.is_key_account
)

select * from final
