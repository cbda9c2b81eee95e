{#- The inputs of the BG/NBD and Gamma-Gamma models (SPEC section 8): per customer with
    a counted order on or before as_of_date, repeat order days x, the time of the last
    one t_x and the customer's age T (both from the first order date, in units of
    clv_time_unit_days), and the mean net revenue m of the repeat order days. The same
    summary at the end of calibration (clv_holdout_days before as_of_date) and the
    repeat order days after it feed the holdout check. Times are doubles on every
    engine: Spark would keep a decimal quotient to 6 places, and the fit follows. -#}
{%- set unit = var('clv_time_unit_days') %}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

order_days as (
    select * from {{ ref('int_customer_order_days') }}
),

calibration as (
    select
        as_of_date,
        {{ add_days('as_of_date', -1 * var('clv_holdout_days')) }} as calibration_end_date
    from params
),

customer_days as (
    -- The first order day is the one without a previous order date.
    select
        order_days.customer_id,
        min(order_days.order_date) as first_order_date,
        max(order_days.order_date) as last_order_date,
        count(*) - 1 as repeat_order_days,
        sum(case when order_days.previous_order_date is not null then order_days.net_revenue end)
            as repeat_net_revenue,
        max(case when order_days.order_date <= calibration.calibration_end_date then order_days.order_date end)
            as calibration_last_order_date,
        sum(case when order_days.order_date <= calibration.calibration_end_date then 1 else 0 end)
            as calibration_order_days,
        sum(case when order_days.order_date > calibration.calibration_end_date then 1 else 0 end)
            as holdout_order_days
    from order_days
    cross join calibration
    group by order_days.customer_id
),

final as (
    select
        customer_days.customer_id,
        customer_days.first_order_date,
        customer_days.last_order_date,
        customer_days.repeat_order_days,
        {{ dbt.datediff('customer_days.first_order_date', 'customer_days.last_order_date', 'day') }}
        / cast({{ unit }} as {{ type_double() }}) as recency_units,
        {{ dbt.datediff('customer_days.first_order_date', 'calibration.as_of_date', 'day') }}
        / cast({{ unit }} as {{ type_double() }}) as age_units,
        case
            when customer_days.repeat_order_days > 0
                then customer_days.repeat_net_revenue / customer_days.repeat_order_days
        end as mean_repeat_order_value,
        calibration.calibration_end_date,
        -- The calibration summary exists for customers who had ordered by its end.
        case
            when customer_days.calibration_order_days > 0 then customer_days.calibration_order_days - 1
        end as calibration_repeat_order_days,
        case
            when customer_days.calibration_order_days > 0
                then {{ dbt.datediff('customer_days.first_order_date', 'customer_days.calibration_last_order_date', 'day') }}
                / cast({{ unit }} as {{ type_double() }})
        end as calibration_recency_units,
        case
            when customer_days.calibration_order_days > 0
                then {{ dbt.datediff('customer_days.first_order_date', 'calibration.calibration_end_date', 'day') }}
                / cast({{ unit }} as {{ type_double() }})
        end as calibration_age_units,
        case
            when customer_days.calibration_order_days > 0 then customer_days.holdout_order_days
        end as holdout_repeat_order_days,
        {{ unit }} as time_unit_days
    from customer_days
    cross join calibration
)

select * from final
