{#- One row: the reference date of the run and the windows derived from it. Every
    model that needs a date reads it from here, so a run has one as_of_date. -#}
with

orders as (
    select order_date from {{ ref('stg_sales__orders') }}
    where is_completed
),

as_of as (
    {% if var('as_of_date') %}
    select cast('{{ var("as_of_date") }}' as date) as as_of_date
    {% else %}
    -- No orders at all: today, so an empty warehouse still builds.
    select coalesce((select max(order_date) from orders), current_date) as as_of_date
    {% endif %}
),

final as (
    select
        as_of_date,
        -- The value window is as_of_date - N < d <= as_of_date.
        {{ add_days('as_of_date', -1 * var('value_window_days')) }} as window_start_exclusive,
        {{ add_days('as_of_date', -2 * var('value_window_days')) }} as prior_window_start_exclusive
    from as_of
)

select * from final
