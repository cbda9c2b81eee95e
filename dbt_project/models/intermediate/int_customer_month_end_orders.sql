{#- Every customer at every month end from the one they are known by: first order so
    far, and the last order day so far with what was known on it (order dates and
    typical gap to date); and the running figures of the key-account score: months
    with an order, revenue of the year before the value window, CRM interactions in
    the window and referrals made. The ordering half of customer_tier_history; a model
    of its own so that each query plan stays small enough to spill at scale.

    The running figures change only at the month ends with an event (a change, a new
    referral), a few per customer, not at each of the customer's month ends: they are
    added up over those events, and each event's figures are then spread over the
    month ends until the customer's next one. -#}
{{ history_config() }}
with

month_ends as (
    select * from {{ ref('int_month_ends') }}
),

customers as (
    select * from {{ ref('int_customers__known') }}
),

customer_days as (
    select * from {{ ref('int_customer_order_days') }}
),

order_history as (
    select * from {{ ref('int_customer_order_history') }}
),

changes as (
    select * from {{ ref('int_customer_month_end_changes') }}
),

recomputed_month_ends as (
    select * from {{ ref('int_month_ends') }} {{ recomputed_months_only() }}
),

history_bounds as (
    select
        min(month_end) as first_month_end,
        max(month_end) as last_month_end
    from month_ends
),

first_orders as (
    select
        customer_id,
        min(order_date) as first_order_date
    from customer_days
    group by customer_id
),

known as (
    -- A customer exists from their CRM record or first order, whichever is earlier.
    select
        customers.customer_id,
        customers.referred_by_customer_id,
        first_orders.first_order_date,
        {{ known_from('customers.created_at', 'first_orders.first_order_date') }} as known_from
    from customers
    left join first_orders
        on customers.customer_id = first_orders.customer_id
),

customer_rows as (
    -- The customer's first month end in the history: the first one on or after the day
    -- they are known by (month ends run without a gap from first_month_end).
    select
        known.customer_id,
        known.first_order_date,
        {{ greatest_of('cast(' ~ dbt.last_day('known.known_from', 'month') ~ ' as date)',
                       'history_bounds.first_month_end') }} as first_row_month_end
    from known
    cross join history_bounds
    where known.known_from <= history_bounds.last_month_end
),

referrals as (
    -- A referral counts for the referrer from the month end the referred customer is
    -- known by, as customer_value counts the known customers a customer referred.
    select
        referred_by_customer_id as customer_id,
        cast({{ dbt.last_day('known_from', 'month') }} as date) as month_end,
        count(*) as referrals_change
    from known
    where referred_by_customer_id is not null
        and known_from is not null
    group by referred_by_customer_id, cast({{ dbt.last_day('known_from', 'month') }} as date)
),

events as (
    -- What happens to a customer at a month end (the changes, with the last order day
    -- of a month with an order; new referrals), and the customer's first row, so that
    -- every customer starts with an event there. Counts as integers: narrow rows to sort.
    select
        customer_id,
        first_row_month_end as month_end,
        cast(null as date) as last_order_date,
        0 as active_months_change,
        0 as net_revenue_prior_window_change,
        0 as interactions_change,
        0 as referrals_change
    from customer_rows
    union all
    select
        customer_id,
        month_end,
        last_order_date,
        cast(active_months_change as integer) as active_months_change,
        net_revenue_prior_window_change,
        cast(interactions_change as integer) as interactions_change,
        0 as referrals_change
    from changes
    union all
    select
        customer_id,
        month_end,
        cast(null as date) as last_order_date,
        0 as active_months_change,
        0 as net_revenue_prior_window_change,
        0 as interactions_change,
        cast(referrals_change as integer) as referrals_change
    from referrals
),

placed_events as (
    -- Events dated before the customer's first row (an interaction logged before the
    -- CRM record, say) count from that row; those of customers nobody knows, nowhere.
    select
        events.customer_id,
        {{ greatest_of('events.month_end', 'customer_rows.first_row_month_end') }} as month_end,
        customer_rows.first_order_date,
        events.last_order_date,
        events.active_months_change,
        events.net_revenue_prior_window_change,
        events.interactions_change,
        events.referrals_change
    from events
    inner join customer_rows
        on events.customer_id = customer_rows.customer_id
),

{% set customer_months = 'partition by customer_id order by month_end' -%}
{% set running = customer_months ~ ' range between unbounded preceding and current row' -%}
running as (
    -- The figures after each month end with events (a month end's events are peers of
    -- the running sums, so each of its rows holds them all), and the customer's next
    -- month end with events: only the last of a month end's rows has one after it.
    select
        customer_id,
        month_end,
        first_order_date,
        lead(month_end) over ({{ customer_months }}) as next_event_month_end,
        max(last_order_date) over ({{ running }}) as last_order_date,
        sum(active_months_change) over ({{ running }}) as active_months_window,
        sum(net_revenue_prior_window_change) over ({{ running }}) as net_revenue_prior_window,
        sum(interactions_change) over ({{ running }}) as interactions_window,
        sum(referrals_change) over ({{ running }}) as referrals_made
    from placed_events
),

spans as (
    -- With what was known on the last order day.
    select
        running.customer_id,
        running.month_end as span_from,
        coalesce(running.next_event_month_end, {{ add_days('history_bounds.last_month_end', 1) }}) as span_until,
        running.first_order_date,
        running.last_order_date,
        last_order.order_days_to_date,
        last_order.typical_gap_days_to_date,
        running.active_months_window,
        running.net_revenue_prior_window,
        running.interactions_window,
        running.referrals_made
    from running
    cross join history_bounds
    left join order_history as last_order
        on running.customer_id = last_order.customer_id
        and running.last_order_date = last_order.order_date
    where running.next_event_month_end is null
        or running.next_event_month_end > running.month_end
),

final as (
    -- Each event's figures at every month end until the customer's next event.
    select
        spans.customer_id,
        month_ends.month_end,
        case
            when spans.first_order_date <= month_ends.month_end then spans.first_order_date
        end as first_order_date,
        spans.last_order_date,
        coalesce(spans.order_days_to_date, 0) as order_days,
        spans.typical_gap_days_to_date as typical_gap_days,
        cast(spans.active_months_window as bigint) as active_months_window,
        spans.net_revenue_prior_window,
        cast(spans.interactions_window as bigint) as interactions_window,
        cast(spans.referrals_made as bigint) as referrals_made
    from spans
    inner join recomputed_month_ends as month_ends
        on spans.span_from <= month_ends.month_end
        and spans.span_until > month_ends.month_end
)

select * from final
