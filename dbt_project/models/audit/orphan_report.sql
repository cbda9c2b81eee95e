{#- Rows waiting for the other side of a cross-table rule, one row per kind: loaded,
    kept out of the marts until the other side lands, and counted here for the staging
    gate. Orders for customers CRM does not know yet still count (sales is the record
    of revenue), so that kind is reported but never blocks the gate. -#}
with

orders as (
    select * from {{ ref('int_orders__converted') }}
),

lines as (
    select * from {{ ref('stg_sales__order_lines') }}
),

returns as (
    select * from {{ ref('stg_sales__returns') }}
),

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

line_orders as (
    -- The lines grouped by their order once, for both sides of the lines-orders rules:
    -- the lines are read here and for the returns, not once per rule.
    select
        order_id,
        count(*) as lines
    from lines
    group by order_id
),

listed_orders as (
    select
        order_id,
        true as is_listed
    from orders
),

lines_and_orders as (
    -- Matched on the key; flags rather than the keys tell the sides apart, so a row
    -- with no key counts on its side.
    select
        line_orders.lines,
        coalesce(listed_orders.is_listed, false) as has_order,
        line_orders.lines is not null as has_lines
    from line_orders
    full outer join listed_orders
        on line_orders.order_id = listed_orders.order_id
),

lines_without_order as (
    select
        'order lines without their order' as orphan_kind,
        true as blocks_gate,
        -- Whole numbers on every engine, as the counts of the other kinds.
        cast(coalesce(sum(lines) filter (where not has_order), 0) as {{ dbt.type_bigint() }}) as orphans,
        cast(coalesce(sum(lines), 0) as {{ dbt.type_bigint() }}) as total
    from lines_and_orders
),

orders_without_fx_rate as (
    select
        'orders without an FX rate' as orphan_kind,
        true as blocks_gate,
        count(*) filter (where not orders.has_fx_rate) as orphans,
        count(*) as total
    from orders
),

orders_without_known_customer as (
    select
        'orders for customers CRM does not know' as orphan_kind,
        false as blocks_gate,
        count(*) filter (where customers.customer_id is null) as orphans,
        count(*) as total
    from orders
    left join customers
        on orders.customer_id = customers.customer_id
),

orders_without_lines as (
    select
        'orders without lines' as orphan_kind,
        true as blocks_gate,
        count(*) filter (where not has_lines) as orphans,
        count(*) filter (where has_order) as total
    from lines_and_orders
),

returns_without_line as (
    select
        'returns without their order line' as orphan_kind,
        true as blocks_gate,
        count(*) filter (where lines.order_id is null) as orphans,
        count(*) as total
    from returns
    left join lines
        on returns.order_id = lines.order_id
        and returns.line_number = lines.line_number
),

counts as (
    select * from lines_without_order
    union all
    select * from orders_without_fx_rate
    union all
    select * from orders_without_known_customer
    union all
    select * from orders_without_lines
    union all
    select * from returns_without_line
),

final as (
    select
        orphan_kind,
        orphans,
        total,
        blocks_gate,
        case
            when total > 0 then orphans / cast(total as {{ type_double() }})
            else 0
        end as share,
        -- Only kinds that block the gate are held against the threshold.
        case
            when blocks_gate and total > 0 then orphans / cast(total as {{ type_double() }})
        end as orphan_share
    from counts
)

select * from final
