{#- Every customer at every month end: the ordering facts of
    int_customer_month_end_orders that customer_tier_history classifies, with the
    key-account score before the churn penalty (empty before the first order). A
    model of its own so that the history joins one large table to another, not two:
    two at once would not fit at scale. -#}
{{ history_config() }}
with

ordering as (
    select * from {{ ref('int_customer_month_end_orders') }} {{ recomputed_months_only() }}
),

key_account as (
    select * from {{ ref('int_customer_month_end_key_account') }} {{ recomputed_months_only() }}
),

final as (
    select
        ordering.customer_id,
        ordering.month_end,
        ordering.first_order_date,
        ordering.last_order_date,
        ordering.order_days,
        ordering.typical_gap_days,
        key_account.key_account_base_score
    from ordering
    left join key_account
        on ordering.customer_id = key_account.customer_id
        and ordering.month_end = key_account.month_end
)

select * from final
