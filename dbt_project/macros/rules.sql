{#- The business rules of SPEC.md section 4, written once and used by every model
    that needs them (customer_value for the run's as_of_date, customer_tier_history
    for every month end). Arguments are SQL expressions. -#}

{#- An order that counts anywhere: completed, with an FX rate, dated on or before the
    run's as_of_date. Arguments are the aliases of the order and run-parameter rows. -#}
{% macro is_counted_order(orders, params) -%}
    ({{ orders }}.is_completed
        and {{ orders }}.has_fx_rate
        and {{ orders }}.order_date <= {{ params }}.as_of_date)
{%- endmacro %}

{#- Cost to serve an order in the reporting currency: a fixed cost per order plus its
    shipping (none when empty) at the order's rate. Small orders cost more to serve. -#}
{% macro cost_to_serve(shipping_cost, fx_rate) -%}
    ({{ var('cost_to_serve_per_order') }} + coalesce({{ shipping_cost }}, 0) * {{ fx_rate }})
{%- endmacro %}

{#- Pareto tier from the revenue ranked above a customer and the ranking's total.
    Compared as decimals (share_before < cut  <=>  before < cut * total) so a share of
    exactly 80% is not A because of floating-point noise. -#}
{% macro pareto_tier(revenue, revenue_before, total) -%}
    case
        when {{ revenue }} is null or {{ revenue }} <= 0 then 'D'
        when {{ revenue_before }} < {{ var('pareto_a_cutoff') }} * {{ total }} then 'A'
        when {{ revenue_before }} < {{ var('pareto_b_cutoff') }} * {{ total }} then 'B'
        else 'C'
    end
{%- endmacro %}

{#- The orders behind tiers and profit bands, largest first and ties by customer_id,
    within partition_by (a month end in the history; none for the as_of_date). The
    caller picks who is ranked: customers with positive window revenue for tiers,
    customers with an order in the window for profit bands. -#}
{% macro revenue_ranked_through(revenue, partition_by=none) -%}
    sum({{ revenue }}) over (
        {% if partition_by %}partition by {{ partition_by }}{% endif %}
        order by {{ revenue }} desc, customer_id
        rows between unbounded preceding and current row
    )
{%- endmacro %}

{% macro profit_rank(profit, partition_by=none) -%}
    row_number() over (
        {% if partition_by %}partition by {{ partition_by }}{% endif %}
        order by {{ profit }} desc, customer_id
    )
{%- endmacro %}

{#- Profit band from the 1-based rank by window gross profit among n customers with
    an order in the window: position p = (rank - 1) / n. -#}
{% macro profit_band(profit_rank, n) -%}
    case
        when {{ profit_rank }} is null then 'none'
        when ({{ profit_rank }} - 1) < {{ var('profit_top_share') }} * {{ n }} then 'top_20'
        when ({{ profit_rank }} - 1) >= (1 - {{ var('profit_bottom_share') }}) * {{ n }} then 'bottom_20'
        else 'middle_60'
    end
{%- endmacro %}

{% macro quadrant(first_order_date, has_window_order, pareto_tier, as_of_date) -%}
    case
        when {{ first_order_date }} is null then 'prospect'
        when not {{ has_window_order }} then 'inactive'
        when {{ first_order_date }} <= {{ add_days(as_of_date, -1 * var('old_customer_min_days')) }}
            then case when {{ pareto_tier }} = 'A' then 'old_big' else 'old_small' end
        else case when {{ pareto_tier }} = 'A' then 'new_big' else 'new_small' end
    end
{%- endmacro %}

{#- Churn thresholds in days. Repeat buyers: multiples of their typical gap; one-time
    buyers: percentiles of everybody's gaps; both with floors. -#}
{% macro at_risk_threshold(order_days, typical_gap, one_time_gap) -%}
    {{ greatest_of(
        'case when ' ~ order_days ~ ' >= 2 then ' ~ var('at_risk_gap_multiplier') ~ ' * ' ~ typical_gap
        ~ ' else coalesce(' ~ one_time_gap ~ ', 0) end',
        var('min_at_risk_days')) }}
{%- endmacro %}

{% macro churn_threshold(order_days, typical_gap, one_time_gap) -%}
    {{ greatest_of(
        'case when ' ~ order_days ~ ' >= 2 then ' ~ var('churn_gap_multiplier') ~ ' * ' ~ typical_gap
        ~ ' else coalesce(' ~ one_time_gap ~ ', 0) end',
        var('min_churn_days')) }}
{%- endmacro %}

{% macro churn_status(first_order_date, recency_days, at_risk_days, churn_days) -%}
    case
        when {{ first_order_date }} is null then 'prospect'
        when {{ recency_days }} > {{ churn_days }} then 'churned'
        when {{ recency_days }} > {{ at_risk_days }} then 'at_risk'
        else 'active'
    end
{%- endmacro %}

{#- The day a churned customer crossed the churn threshold. -#}
{% macro churned_on(status, last_order_date, churn_days) -%}
    case when {{ status }} = 'churned' then
        {{ add_days(last_order_date, 'floor(' ~ churn_days ~ ') + 1') }}
    end
{%- endmacro %}

{#- The day a customer is known by: their CRM record's date or their first order,
    whichever is earlier; empty when they have neither. -#}
{% macro known_from(created_at, first_order_date) -%}
    case
        when {{ first_order_date }} is null then cast({{ created_at }} as date)
        when {{ created_at }} is null then {{ first_order_date }}
        when cast({{ created_at }} as date) < {{ first_order_date }}
            then cast({{ created_at }} as date)
        else {{ first_order_date }}
    end
{%- endmacro %}

{#- greatest() treats NULL differently across engines; a case is explicit. -#}
{% macro greatest_of(a, b) -%}
    (case when ({{ a }}) > ({{ b }}) then ({{ a }}) else ({{ b }}) end)
{%- endmacro %}

{#- date + integer is a date on DuckDB, PostgreSQL and Spark (dbt.dateadd gives a
    timestamp on some of them). -#}
{% macro add_days(date_expr, days_expr) -%}
    (cast({{ date_expr }} as date) + cast({{ days_expr }} as integer))
{%- endmacro %}

{#- RFM segment from the 1-5 scores; every (r, f) pair lands in exactly one segment,
    m separates champions from loyal and can't-lose from at-risk. -#}
{% macro rfm_segment(r, f, m) -%}
    case
        when {{ r }} is null then null
        when {{ r }} >= 4 and {{ f }} >= 4 and {{ m }} >= 4 then 'champions'
        when {{ r }} >= 3 and {{ f }} >= 4 then 'loyal'
        when {{ r }} >= 4 and {{ f }} >= 2 then 'potential loyalist'
        when {{ r }} = 5 and {{ f }} = 1 then 'new'
        when {{ r }} = 4 and {{ f }} = 1 then 'promising'
        when {{ r }} = 3 and {{ f }} = 3 then 'needs attention'
        when {{ r }} = 3 then 'about to sleep'
        when {{ f }} >= 4 and {{ m }} >= 4 then 'can''t lose'
        when {{ f }} >= 3 then 'at risk'
        when {{ r }} = 2 then 'hibernating'
        else 'lost'
    end
{%- endmacro %}

{#- Churn signals (SPEC.md section 7.1), each a boolean for a customer with orders;
    the caller leaves them empty for a customer without any. Lifetime amounts are in the
    reporting currency. A share of nothing is no signal. -#}
{% macro signal_returns(refunds, list_value, discounts) -%}
    case
        when ({{ list_value }} - {{ discounts }}) > 0
            then {{ refunds }} >= {{ var('returns_signal_share') }} * ({{ list_value }} - {{ discounts }})
        else false
    end
{%- endmacro %}

{% macro signal_discount_dependent(discounts, list_value) -%}
    case
        when {{ list_value }} > 0
            then {{ discounts }} >= {{ var('discount_signal_share') }} * {{ list_value }}
        else false
    end
{%- endmacro %}

{#- At least two orders in the year before, and fewer than half as many in the year up
    to the last order; 2 x recent < earlier keeps the halving exact on integers. -#}
{% macro signal_order_decline(orders_recent, orders_earlier) -%}
    ({{ orders_earlier }} >= 2 and 2 * {{ orders_recent }} < {{ orders_earlier }})
{%- endmacro %}

{% macro signal_no_contact(days_since_last_contact) -%}
    ({{ days_since_last_contact }} is null or {{ days_since_last_contact }} > {{ var('no_contact_days') }})
{%- endmacro %}

{#- Why an at-risk or churned customer is slipping away: the first true signal in this
    order, unexplained when none is; empty for everybody else. -#}
{% macro churn_reason(status, complaints, returns, order_decline, discount_dependent, no_contact, one_time) -%}
    case
        when {{ status }} not in ('at_risk', 'churned') then null
        when {{ complaints }} then 'complaints'
        when {{ returns }} then 'returns'
        when {{ order_decline }} then 'order_decline'
        when {{ discount_dependent }} then 'discount_dependent'
        when {{ no_contact }} then 'no_contact'
        when {{ one_time }} then 'one_time'
        else 'unexplained'
    end
{%- endmacro %}

{#- Traits of a core customer (SPEC.md section 7.2). Loyal: three order dates or more,
    an old customer, ordering in enough months of the value window. -#}
{% macro trait_loyal(order_days, tenure_days, active_months_window) -%}
    coalesce(
        {{ order_days }} >= 3
        and {{ tenure_days }} >= {{ var('old_customer_min_days') }}
        and {{ active_months_window }} >= {{ var('loyal_min_active_months') }},
        false
    )
{%- endmacro %}

{% macro is_core_customer(high_value, loyal, advocate, retained) -%}
    ({{ high_value }} and {{ retained }} and ({{ loyal }} or {{ advocate }}))
{%- endmacro %}

{#- An 8-byte float on every engine (dbt.type_float() is 4 bytes on DuckDB). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}

{% macro spark__type_double() -%}double{%- endmacro %}

{#- round(x, digits) the same on every engine: x is taken to 9 decimals first, so the
    last bits of a double (which engines compute in different orders) never decide the
    rounding of an exact half (1.875 is 1.88 everywhere), and the decimal is rounded half
    away from zero by DuckDB, PostgreSQL and Spark alike. `precision` bounds the whole
    number: 18 digits or fewer fit 64 bits, which DuckDB casts and rounds several times
    faster than 38 (the tier history rounds two scores per row); a 0-100 score needs no
    more. -#}
{% macro round_to(expr, digits, precision=38) -%}
    round(cast({{ expr }} as decimal({{ precision }}, 9)), {{ digits }})
{%- endmacro %}

{#- Key accounts (SPEC.md section 4): the weighted mean of six percentile ranks among
    the customers with orders, 0-100, less a penalty for churn risk; key from the cut
    on. Shared by customer_value (as_of_date) and customer_tier_history (month ends) so
    both score alike. Arguments are SQL expressions. -#}
{% macro key_account_base_score(profit_pct, tenure_pct, stability_pct, growth_pct, referrals_pct, engagement_pct) -%}
    100 * (
        {{ var('key_account_weight_profit') }} * {{ profit_pct }}
        + {{ var('key_account_weight_tenure') }} * {{ tenure_pct }}
        + {{ var('key_account_weight_stability') }} * {{ stability_pct }}
        + {{ var('key_account_weight_growth') }} * {{ growth_pct }}
        + {{ var('key_account_weight_referrals') }} * {{ referrals_pct }}
        + {{ var('key_account_weight_engagement') }} * {{ engagement_pct }}
    ) / (
        {{ var('key_account_weight_profit') }} + {{ var('key_account_weight_tenure') }}
        + {{ var('key_account_weight_stability') }} + {{ var('key_account_weight_growth') }}
        + {{ var('key_account_weight_referrals') }} + {{ var('key_account_weight_engagement') }}
    )
{%- endmacro %}

{% macro key_account_penalty(churn_status) -%}
    case {{ churn_status }}
        when 'churned' then {{ var('key_account_churned_penalty') }}
        when 'at_risk' then {{ var('key_account_at_risk_penalty') }}
        else 0
    end
{%- endmacro %}

{#- The published score: never below 0, 0 without orders (no base score), 2 decimals. -#}
{% macro key_account_score(base_score, penalty) -%}
    {{ round_to('coalesce(' ~ greatest_of('0', base_score ~ ' - ' ~ penalty) ~ ', 0)', 2, precision=18) }}
{%- endmacro %}

{#- Key from the cut on, compared after rounding as published; never without orders. -#}
{% macro is_key_account(base_score, penalty) -%}
    coalesce({{ round_to(base_score ~ ' - ' ~ penalty, 2, precision=18) }} >= {{ var('key_account_min_score') }}, false)
{%- endmacro %}
