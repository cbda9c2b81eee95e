{#- Every return of a counted order line booked on or before as_of_date, valued in the
    reporting currency at its order's rate. Month-end history subtracts a return only
    from the month end it was booked by; the order's date decides the window. -#}
with

params as (
    select * from {{ ref('int_run_parameters') }}
),

returns as (
    select * from {{ ref('stg_sales__returns') }}
),

lines as (
    select * from {{ ref('int_order_lines__valued') }}
),

final as (
    select
        returns.return_id,
        lines.customer_id,
        lines.order_id,
        lines.line_number,
        lines.order_date,
        returns.return_date,
        returns.refund_amount * lines.fx_rate as refund,
        returns.quantity * lines.unit_cost_reporting as returned_cost
    from returns
    cross join params
    inner join lines
        on returns.order_id = lines.order_id
        and returns.line_number = lines.line_number
    where returns.return_date <= params.as_of_date
)

select * from final
