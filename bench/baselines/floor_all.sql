-- The "whole floor": every published mart that SQL computes (SPEC sections 4 and 7, the
-- tier history included), straight from the landing files, in one hand-written DuckDB
-- script. The rules are the dbt project's (models/, macros/rules.sql, seeds/); the
-- customer-base models of section 8 are left out (a Python fit, not SQL).
--
-- floor_all.py fills the placeholders before running it on one in-process connection:
--   @orders@ @order_lines@ @returns@ @fx_rates@ @customers@ @interactions@
--       a relation of the table's landed batches: its typed columns plus _batch (a
--       later batch wins per key)
--   @seed_quadrant_strategies@ @seed_churn_reasons@ @seed_profit_band_actions@
--       the dbt seeds, read as text
--   @as_of@  a DATE literal, or NULL for the default (latest completed order date)
--   @<var>@  the dbt vars of dbt_project.yml
-- Statements are separated by ";" at the end of a line. The temp tables named like the
-- marts are the results; the others are the facts more than one mart reads, each
-- landed table read once.

-- Latest batch wins: a row is dropped when a later batch holds its key; only restated
-- keys (count > 1) reach the anti join.
CREATE OR REPLACE TEMP TABLE orders AS
WITH raw AS MATERIALIZED (
    SELECT order_id, customer_id, CAST(ordered_at AS DATE) AS order_date, channel, currency, status, shipping_cost, _batch
    FROM @orders@
)
SELECT raw.* EXCLUDE (_batch)
FROM raw
ANTI JOIN (
    SELECT order_id, max(_batch) AS latest FROM raw GROUP BY ALL HAVING count(*) > 1
) AS later ON raw.order_id = later.order_id AND raw._batch < later.latest;

CREATE OR REPLACE TEMP TABLE params AS
SELECT
    as_of,
    as_of - @value_window_days@ AS window_start,
    as_of - 2 * @value_window_days@ AS prior_start,
    as_of - @old_customer_min_days@ AS old_before
FROM (
    SELECT CAST(coalesce(@as_of@, (SELECT max(order_date) FROM orders WHERE status = 'completed'), current_date) AS DATE)
        AS as_of
);

-- Completed orders dated by as_of with a rate: the latest rate on or before the order
-- date, 1 for the reporting currency.
CREATE OR REPLACE TEMP TABLE rated_orders AS
WITH
fx_raw AS MATERIALIZED (
    SELECT rate_date, currency, rate_to_reporting AS rate, _batch FROM @fx_rates@
),
fx AS (
    SELECT f.rate_date, f.currency, f.rate
    FROM fx_raw AS f
    ANTI JOIN (
        SELECT rate_date, currency, max(_batch) AS latest FROM fx_raw GROUP BY ALL HAVING count(*) > 1
    ) AS later ON f.rate_date = later.rate_date AND f.currency = later.currency AND f._batch < later.latest
    WHERE f.currency <> '@reporting_currency@' AND f.rate IS NOT NULL
),
completed AS (
    SELECT o.* EXCLUDE (status)
    FROM orders AS o
    WHERE o.status = 'completed' AND o.order_date <= (SELECT as_of FROM params)
)
SELECT order_id, customer_id, order_date, channel, shipping_cost, CAST(1 AS DECIMAL(18, 6)) AS rate
FROM completed
WHERE currency = '@reporting_currency@'
UNION ALL
SELECT c.order_id, c.customer_id, c.order_date, c.channel, c.shipping_cost, fx.rate
FROM (SELECT * FROM completed WHERE currency <> '@reporting_currency@') AS c
ASOF JOIN fx ON c.currency = fx.currency AND c.order_date >= fx.rate_date;

CREATE OR REPLACE TEMP TABLE returns AS
WITH raw AS MATERIALIZED (
    SELECT return_id, order_id, line_number, CAST(returned_at AS DATE) AS return_date, quantity, refund_amount, _batch
    FROM @returns@
)
SELECT raw.* EXCLUDE (_batch)
FROM raw
ANTI JOIN (
    SELECT return_id, max(_batch) AS latest FROM raw GROUP BY ALL HAVING count(*) > 1
) AS later ON raw.return_id = later.return_id AND raw._batch < later.latest
WHERE raw.return_date <= (SELECT as_of FROM params);

-- The lines of rated orders; read twice below (orders, returns), so kept.
CREATE OR REPLACE TEMP TABLE lines AS
WITH raw AS (
    SELECT order_id, line_number, quantity, unit_price, discount_amount, unit_cost, _batch FROM @order_lines@
)
SELECT raw.* EXCLUDE (_batch)
FROM raw
ANTI JOIN (
    SELECT order_id, line_number, max(_batch) AS latest FROM raw GROUP BY ALL HAVING count(*) > 1
) AS later ON raw.order_id = later.order_id AND raw.line_number = later.line_number AND raw._batch < later.latest
SEMI JOIN rated_orders AS o ON raw.order_id = o.order_id;

-- Counted orders (rated, with lines) in the reporting currency. Decimal sums are exact,
-- so summing in the order's currency and converting once equals converting each line.
CREATE OR REPLACE TEMP TABLE order_facts AS
WITH
line_returns AS (
    SELECT order_id, line_number, sum(quantity) AS returned_quantity, sum(refund_amount) AS refund
    FROM returns
    GROUP BY ALL
),
per_order AS (
    SELECT
        l.order_id,
        sum(l.quantity * l.unit_price - l.discount_amount - coalesce(r.refund, 0)) AS net_local,
        sum((l.quantity - coalesce(r.returned_quantity, 0)) * l.unit_cost) AS cost_local,
        sum(l.quantity * l.unit_price - l.discount_amount) AS sold_local,
        sum(l.quantity * l.unit_cost) AS sold_cost_local,
        sum(l.quantity * l.unit_price) AS list_local,
        sum(l.discount_amount) AS discount_local
    FROM lines AS l
    LEFT JOIN line_returns AS r USING (order_id, line_number)
    GROUP BY l.order_id
),
valued AS (
    SELECT
        o.order_id,
        o.customer_id,
        o.order_date,
        o.channel,
        o.rate,
        p.net_local * o.rate AS net_revenue,
        p.cost_local * o.rate AS cost_of_goods,
        @cost_to_serve_per_order@ + coalesce(o.shipping_cost, 0) * o.rate AS cost_to_serve,
        p.sold_local * o.rate AS revenue_before_returns,
        p.sold_cost_local * o.rate AS cost_before_returns,
        p.list_local * o.rate AS list_value,
        p.discount_local * o.rate AS discount_value
    FROM rated_orders AS o
    JOIN per_order AS p USING (order_id)
)
SELECT
    valued.* EXCLUDE (cost_before_returns),
    net_revenue - cost_of_goods - cost_to_serve AS gross_profit,
    revenue_before_returns - cost_before_returns - cost_to_serve AS gross_profit_before_returns,
    order_date > params.window_start AS in_window,
    order_date > params.prior_start AND order_date <= params.window_start AS in_prior_window
FROM valued
CROSS JOIN params;

-- Returns of counted lines, valued at their order's rate: the history takes each off
-- from the month end it was booked by.
CREATE OR REPLACE TEMP TABLE valued_returns AS
SELECT
    o.customer_id,
    o.order_date,
    r.return_date,
    r.refund_amount * o.rate AS refund,
    r.quantity * l.unit_cost * o.rate AS returned_cost
FROM returns AS r
JOIN lines AS l USING (order_id, line_number)
JOIN order_facts AS o USING (order_id);

-- Every customer known on as_of_date: in CRM (created by then) or with a counted order.
CREATE OR REPLACE TEMP TABLE known AS
WITH
raw AS MATERIALIZED (
    SELECT * FROM @customers@
),
crm AS (
    SELECT raw.* EXCLUDE (_batch)
    FROM raw
    ANTI JOIN (
        SELECT customer_id, max(_batch) AS latest FROM raw GROUP BY ALL HAVING count(*) > 1
    ) AS later ON raw.customer_id = later.customer_id AND raw._batch < later.latest
),
ids AS (
    SELECT customer_id FROM crm WHERE CAST(created_at AS DATE) <= (SELECT as_of FROM params)
    UNION
    SELECT DISTINCT customer_id FROM order_facts
)
SELECT ids.customer_id, crm.customer_id IS NOT NULL AS is_known_to_crm, crm.* EXCLUDE (customer_id)
FROM ids
LEFT JOIN crm USING (customer_id);

CREATE OR REPLACE TEMP TABLE interactions AS
WITH raw AS MATERIALIZED (
    SELECT interaction_id, customer_id, CAST(occurred_at AS DATE) AS occurred_on, channel, interaction_type, _batch
    FROM @interactions@
)
SELECT raw.* EXCLUDE (_batch, interaction_id)
FROM raw
ANTI JOIN (
    SELECT interaction_id, max(_batch) AS latest FROM raw GROUP BY ALL HAVING count(*) > 1
) AS later ON raw.interaction_id = later.interaction_id AND raw._batch < later.latest
WHERE raw.occurred_on <= (SELECT as_of FROM params);

-- One row per customer and order date: the day's sums, the gap since the previous
-- order date, and what was known on that day (order dates and typical gap so far).
CREATE OR REPLACE TEMP TABLE order_days AS
SELECT
    *,
    row_number() OVER w AS order_days_to_date,
    quantile_cont(gap_days, 0.5) OVER (w RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS typical_gap_days_to_date
FROM (
    SELECT
        customer_id,
        order_date,
        order_date - lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS gap_days,
        count(*) AS orders,
        sum(revenue_before_returns) AS revenue_before_returns,
        sum(gross_profit_before_returns) AS gross_profit_before_returns,
        sum(net_revenue) AS net_revenue,
        sum(gross_profit) AS gross_profit
    FROM order_facts
    GROUP BY customer_id, order_date
)
WINDOW w AS (PARTITION BY customer_id ORDER BY order_date);

CREATE OR REPLACE TEMP TABLE customer_value AS
WITH
customer_orders AS (
    SELECT
        o.customer_id,
        min(o.order_date) AS first_order_date,
        max(o.order_date) AS last_order_date,
        arg_min(o.channel, (o.order_date, o.order_id)) AS first_order_channel,
        count(*) AS orders_lifetime,
        count(*) FILTER (WHERE o.in_window) AS orders_window,
        sum(o.net_revenue) AS net_revenue_lifetime,
        coalesce(sum(o.net_revenue) FILTER (WHERE o.in_window), 0) AS net_revenue_window,
        coalesce(sum(o.net_revenue) FILTER (WHERE o.in_prior_window), 0) AS net_revenue_prior_window,
        sum(o.gross_profit) AS gross_profit_lifetime,
        coalesce(sum(o.gross_profit) FILTER (WHERE o.in_window), 0) AS gross_profit_window,
        coalesce(sum(o.cost_to_serve) FILTER (WHERE o.in_window), 0) AS cost_to_serve_window,
        count(DISTINCT date_trunc('month', o.order_date)) FILTER (WHERE o.in_window) AS active_months_window,
        sum(o.list_value) AS list_value_lifetime,
        sum(o.discount_value) AS discounts_lifetime
    FROM order_facts AS o
    GROUP BY o.customer_id
),
last_years AS (
    -- The year up to the last order and the year before it.
    SELECT
        o.customer_id,
        sum(o.net_revenue) FILTER (WHERE o.order_date > c.last_order_date - @value_window_days@)
            AS net_revenue_last_active_year,
        count(*) FILTER (WHERE o.order_date > c.last_order_date - @value_window_days@) AS orders_last_active_year,
        count(*) FILTER (WHERE o.order_date <= c.last_order_date - @value_window_days@) AS orders_prior_active_year
    FROM order_facts AS o
    JOIN customer_orders AS c USING (customer_id)
    WHERE o.order_date > c.last_order_date - 2 * @value_window_days@
    GROUP BY o.customer_id
),
day_facts AS (
    SELECT customer_id, count(*) AS order_days, quantile_cont(gap_days, 0.5) AS typical_gap_days
    FROM order_days
    GROUP BY customer_id
),
refunds AS (
    SELECT customer_id, sum(refund) AS refunds_lifetime FROM valued_returns GROUP BY customer_id
),
one_time AS (
    SELECT
        quantile_cont(gap_days, @one_time_at_risk_percentile@) AS at_risk_gap_days,
        quantile_cont(gap_days, @one_time_churn_percentile@) AS churn_gap_days
    FROM order_days
),
referrals AS (
    SELECT
        k.referred_by_customer_id AS customer_id,
        count(*) AS referrals_made,
        count(*) FILTER (WHERE c.orders_window > 0) AS referred_customers_active,
        coalesce(sum(c.net_revenue_window), 0) AS referred_revenue_window
    FROM known AS k
    LEFT JOIN customer_orders AS c USING (customer_id)
    WHERE k.referred_by_customer_id IS NOT NULL
    GROUP BY ALL
),
contacts AS (
    SELECT
        i.customer_id,
        count(*) FILTER (WHERE i.occurred_on > p.window_start) AS interactions_window,
        count(*) FILTER (WHERE i.occurred_on > p.window_start AND i.interaction_type = 'complaint')
            AS complaints_window,
        count(*) FILTER (WHERE i.occurred_on > p.window_start AND i.interaction_type = 'contact') AS contacts_window,
        count(*) FILTER (WHERE i.occurred_on > p.window_start AND i.interaction_type = 'feedback') AS feedback_window,
        count(*) FILTER (WHERE i.occurred_on > p.window_start AND i.interaction_type = 'gift') AS gifts_window,
        count(*) FILTER (WHERE i.occurred_on > p.window_start AND i.channel = 'event') AS events_window,
        count(*) FILTER (WHERE i.occurred_on > p.window_start AND i.interaction_type = 'referral')
            AS referral_interactions_window,
        max(i.occurred_on) AS last_contact_date,
        count(*) FILTER (
            WHERE i.interaction_type = 'complaint' AND i.occurred_on <= c.last_order_date
                AND i.occurred_on > c.last_order_date - @churn_signal_days@
        ) AS complaints_before_last_order,
        max(i.occurred_on) FILTER (
            WHERE i.occurred_on <= c.last_order_date AND i.occurred_on > c.last_order_date - @churn_signal_days@
        ) AS last_contact_before_last_order,
        count(*) FILTER (
            WHERE i.interaction_type = 'complaint' AND i.occurred_on > c.last_order_date - @churn_signal_days@
        ) AS complaints_since_signal_start
    FROM interactions AS i
    CROSS JOIN params AS p
    LEFT JOIN customer_orders AS c USING (customer_id)
    GROUP BY i.customer_id
),
joined AS (
    SELECT
        k.*,
        c.* EXCLUDE (customer_id),
        p.as_of - c.first_order_date AS tenure_days,
        p.as_of - c.last_order_date AS recency_days,
        coalesce(d.order_days, 0) AS order_days,
        d.typical_gap_days,
        ly.net_revenue_last_active_year,
        coalesce(ly.orders_last_active_year, 0) AS orders_last_active_year,
        coalesce(ly.orders_prior_active_year, 0) AS orders_prior_active_year,
        coalesce(rf.refunds_lifetime, 0) AS refunds_lifetime,
        coalesce(r.referrals_made, 0) AS referrals_made,
        coalesce(r.referred_customers_active, 0) AS referred_customers_active,
        coalesce(r.referred_revenue_window, 0) AS referred_revenue_window,
        coalesce(ct.interactions_window, 0) AS interactions_window,
        coalesce(ct.complaints_window, 0) AS complaints_window,
        coalesce(ct.contacts_window, 0) AS contacts_window,
        coalesce(ct.feedback_window, 0) AS feedback_window,
        coalesce(ct.gifts_window, 0) AS gifts_window,
        coalesce(ct.events_window, 0) AS events_window,
        coalesce(ct.referral_interactions_window, 0) AS referral_interactions_window,
        ct.last_contact_date,
        p.as_of - ct.last_contact_date AS days_since_last_contact,
        CASE WHEN c.customer_id IS NOT NULL THEN coalesce(ct.complaints_before_last_order, 0) END
            AS complaints_before_last_order,
        CASE
            WHEN c.customer_id IS NOT NULL
                THEN coalesce(c.last_order_date - ct.last_contact_before_last_order, @churn_signal_days@)
        END AS days_without_contact_before_last_order,
        coalesce(ct.complaints_since_signal_start, 0) AS complaints_since_signal_start,
        p.as_of AS as_of_date,
        p.old_before
    FROM known AS k
    CROSS JOIN params AS p
    LEFT JOIN customer_orders AS c USING (customer_id)
    LEFT JOIN last_years AS ly USING (customer_id)
    LEFT JOIN day_facts AS d USING (customer_id)
    LEFT JOIN refunds AS rf USING (customer_id)
    LEFT JOIN referrals AS r USING (customer_id)
    LEFT JOIN contacts AS ct USING (customer_id)
),
filled AS (
    SELECT
        * REPLACE (
            coalesce(orders_lifetime, 0) AS orders_lifetime,
            coalesce(orders_window, 0) AS orders_window,
            coalesce(net_revenue_lifetime, 0) AS net_revenue_lifetime,
            coalesce(net_revenue_window, 0) AS net_revenue_window,
            coalesce(net_revenue_prior_window, 0) AS net_revenue_prior_window,
            coalesce(gross_profit_lifetime, 0) AS gross_profit_lifetime,
            coalesce(gross_profit_window, 0) AS gross_profit_window,
            coalesce(cost_to_serve_window, 0) AS cost_to_serve_window,
            coalesce(active_months_window, 0) AS active_months_window,
            coalesce(list_value_lifetime, 0) AS list_value_lifetime,
            coalesce(discounts_lifetime, 0) AS discounts_lifetime
        )
    FROM joined
),
classified AS (
    SELECT
        f.*,
        CASE WHEN f.net_revenue_window > 0 THEN
            sum(f.net_revenue_window) OVER (
                PARTITION BY f.net_revenue_window > 0 ORDER BY f.net_revenue_window DESC, f.customer_id
                ROWS UNBOUNDED PRECEDING
            )
        END AS cumulative_revenue,
        CASE WHEN f.net_revenue_window > 0 THEN
            sum(f.net_revenue_window) OVER (PARTITION BY f.net_revenue_window > 0)
        END AS ranked_revenue_total,
        CASE WHEN f.orders_window > 0 THEN
            row_number() OVER (PARTITION BY f.orders_window > 0 ORDER BY f.gross_profit_window DESC, f.customer_id)
        END AS profit_rank,
        count(*) FILTER (WHERE f.orders_window > 0) OVER () AS profit_ranked_customers,
        greatest(
            CASE WHEN f.order_days >= 2 THEN @at_risk_gap_multiplier@ * f.typical_gap_days
                ELSE coalesce(one_time.at_risk_gap_days, 0) END,
            @min_at_risk_days@
        ) AS at_risk_after_days,
        greatest(
            CASE WHEN f.order_days >= 2 THEN @churn_gap_multiplier@ * f.typical_gap_days
                ELSE coalesce(one_time.churn_gap_days, 0) END,
            @min_churn_days@
        ) AS churn_after_days
    FROM filled AS f
    CROSS JOIN one_time
),
statuses AS (
    SELECT
        *,
        CASE
            WHEN net_revenue_window <= 0 THEN 'D'
            WHEN cumulative_revenue - net_revenue_window < @pareto_a_cutoff@ * ranked_revenue_total THEN 'A'
            WHEN cumulative_revenue - net_revenue_window < @pareto_b_cutoff@ * ranked_revenue_total THEN 'B'
            ELSE 'C'
        END AS pareto_tier,
        CASE
            WHEN profit_rank IS NULL THEN 'none'
            WHEN profit_rank - 1 < @profit_top_share@ * profit_ranked_customers THEN 'top_20'
            WHEN profit_rank - 1 >= (1 - @profit_bottom_share@) * profit_ranked_customers THEN 'bottom_20'
            ELSE 'middle_60'
        END AS profit_band,
        CASE
            WHEN first_order_date IS NULL THEN 'prospect'
            WHEN recency_days > churn_after_days THEN 'churned'
            WHEN recency_days > at_risk_after_days THEN 'at_risk'
            ELSE 'active'
        END AS churn_status
    FROM classified
),
signals AS (
    SELECT
        *,
        CASE
            WHEN first_order_date IS NULL THEN 'prospect'
            WHEN orders_window = 0 THEN 'inactive'
            WHEN first_order_date <= old_before THEN CASE WHEN pareto_tier = 'A' THEN 'old_big' ELSE 'old_small' END
            ELSE CASE WHEN pareto_tier = 'A' THEN 'new_big' ELSE 'new_small' END
        END AS quadrant,
        CASE WHEN first_order_date IS NOT NULL THEN complaints_since_signal_start > 0 END AS signal_complaints,
        CASE WHEN first_order_date IS NOT NULL THEN
            CASE WHEN list_value_lifetime - discounts_lifetime > 0
                THEN refunds_lifetime >= @returns_signal_share@ * (list_value_lifetime - discounts_lifetime)
                ELSE false END
        END AS signal_returns,
        CASE WHEN first_order_date IS NOT NULL THEN
            orders_prior_active_year >= 2 AND 2 * orders_last_active_year < orders_prior_active_year
        END AS signal_order_decline,
        CASE WHEN first_order_date IS NOT NULL THEN
            CASE WHEN list_value_lifetime > 0
                THEN discounts_lifetime >= @discount_signal_share@ * list_value_lifetime
                ELSE false END
        END AS signal_discount_dependent,
        CASE WHEN first_order_date IS NOT NULL THEN
            days_since_last_contact IS NULL OR days_since_last_contact > @no_contact_days@
        END AS signal_no_contact,
        CASE WHEN first_order_date IS NOT NULL THEN order_days = 1 END AS signal_one_time,
        pareto_tier = 'A' AS trait_high_value,
        coalesce(
            order_days >= 3 AND tenure_days >= @old_customer_min_days@
            AND active_months_window >= @loyal_min_active_months@,
            false
        ) AS trait_loyal,
        referrals_made >= 1 OR referral_interactions_window >= 1 AS trait_advocate,
        churn_status = 'active' AS trait_retained,
        CASE churn_status
            WHEN 'churned' THEN @key_account_churned_penalty@
            WHEN 'at_risk' THEN @key_account_at_risk_penalty@
            ELSE 0
        END AS churn_penalty
    FROM statuses
),
reasons AS (
    SELECT
        *,
        CASE
            WHEN churn_status NOT IN ('at_risk', 'churned') THEN NULL
            WHEN signal_complaints THEN 'complaints'
            WHEN signal_returns THEN 'returns'
            WHEN signal_order_decline THEN 'order_decline'
            WHEN signal_discount_dependent THEN 'discount_dependent'
            WHEN signal_no_contact THEN 'no_contact'
            WHEN signal_one_time THEN 'one_time'
            ELSE 'unexplained'
        END AS churn_reason,
        trait_high_value::INTEGER + trait_loyal::INTEGER + trait_advocate::INTEGER + trait_retained::INTEGER
            AS core_traits,
        trait_high_value AND trait_retained AND (trait_loyal OR trait_advocate) AS is_core_customer
    FROM signals
),
buyer_ranks AS (
    -- Positions among customers with orders, worst first; a tie group shares its
    -- first position.
    SELECT
        customer_id,
        rank() OVER (ORDER BY recency_days DESC) AS recency_position,
        rank() OVER (ORDER BY orders_lifetime) AS frequency_position,
        rank() OVER (ORDER BY net_revenue_lifetime) AS monetary_position,
        count(*) OVER () AS buyers,
        percent_rank() OVER (ORDER BY gross_profit_window) AS profit_pct,
        percent_rank() OVER (ORDER BY tenure_days) AS tenure_pct,
        percent_rank() OVER (ORDER BY active_months_window) AS stability_pct,
        percent_rank() OVER (ORDER BY net_revenue_window - net_revenue_prior_window) AS growth_pct,
        percent_rank() OVER (ORDER BY referrals_made) AS referrals_pct,
        percent_rank() OVER (ORDER BY interactions_window) AS engagement_pct
    FROM reasons
    WHERE first_order_date IS NOT NULL
),
scores AS (
    SELECT
        customer_id,
        CAST(floor((5 * recency_position + buyers - 1) / CAST(buyers AS DOUBLE)) AS INTEGER) AS r_score,
        CAST(floor((5 * frequency_position + buyers - 1) / CAST(buyers AS DOUBLE)) AS INTEGER) AS f_score,
        CAST(floor((5 * monetary_position + buyers - 1) / CAST(buyers AS DOUBLE)) AS INTEGER) AS m_score,
        100 * (
            @key_account_weight_profit@ * profit_pct + @key_account_weight_tenure@ * tenure_pct
            + @key_account_weight_stability@ * stability_pct + @key_account_weight_growth@ * growth_pct
            + @key_account_weight_referrals@ * referrals_pct + @key_account_weight_engagement@ * engagement_pct
        ) / (
            @key_account_weight_profit@ + @key_account_weight_tenure@ + @key_account_weight_stability@
            + @key_account_weight_growth@ + @key_account_weight_referrals@ + @key_account_weight_engagement@
        ) AS key_account_base_score
    FROM buyer_ranks
),
strategies AS (
    SELECT quadrant, strategy_en, strategy_zh FROM @seed_quadrant_strategies@
),
churn_reasons AS (
    SELECT churn_reason, label_en, label_zh, action_en, action_zh FROM @seed_churn_reasons@
)
SELECT
    s.customer_id,
    s.customer_type,
    s.industry,
    s.region,
    s.city,
    s.acquisition_channel,
    s.first_order_channel AS channel,
    s.account_manager,
    s.membership_level,
    s.crm_group,
    s.is_known_to_crm,
    s.first_order_date,
    s.last_order_date,
    s.tenure_days,
    s.recency_days,
    s.order_days,
    s.orders_lifetime,
    s.orders_window,
    s.net_revenue_lifetime::DOUBLE AS net_revenue_lifetime,
    s.net_revenue_window::DOUBLE AS net_revenue_window,
    s.net_revenue_prior_window::DOUBLE AS net_revenue_prior_window,
    s.gross_profit_lifetime::DOUBLE AS gross_profit_lifetime,
    s.gross_profit_window::DOUBLE AS gross_profit_window,
    s.cost_to_serve_window::DOUBLE AS cost_to_serve_window,
    CASE WHEN s.orders_lifetime > 0 THEN s.net_revenue_lifetime / s.orders_lifetime END::DOUBLE AS avg_order_value,
    s.typical_gap_days,
    s.active_months_window,
    s.referrals_made,
    s.referred_by_customer_id,
    s.referred_customers_active,
    s.referred_revenue_window::DOUBLE AS referred_revenue_window,
    s.interactions_window,
    s.complaints_window,
    s.contacts_window,
    s.feedback_window,
    s.gifts_window,
    s.events_window,
    s.referral_interactions_window,
    s.last_contact_date,
    s.days_since_last_contact,
    CASE WHEN s.pareto_tier <> 'D' THEN s.net_revenue_window / s.ranked_revenue_total END::DOUBLE AS revenue_share,
    CASE WHEN s.pareto_tier <> 'D' THEN s.cumulative_revenue / s.ranked_revenue_total END::DOUBLE
        AS cumulative_revenue_share,
    s.pareto_tier,
    s.profit_band,
    s.gross_profit_window < 0 AS is_loss_making,
    s.quadrant,
    st.strategy_en AS quadrant_strategy_en,
    st.strategy_zh AS quadrant_strategy_zh,
    s.churn_status,
    CASE WHEN s.churn_status = 'churned'
        THEN s.last_order_date + CAST(floor(s.churn_after_days) + 1 AS INTEGER)
    END AS churned_on,
    CASE WHEN s.first_order_date IS NOT NULL THEN s.at_risk_after_days END::DOUBLE AS at_risk_after_days,
    CASE WHEN s.first_order_date IS NOT NULL THEN s.churn_after_days END::DOUBLE AS churn_after_days,
    s.net_revenue_last_active_year::DOUBLE AS net_revenue_last_active_year,
    s.complaints_before_last_order,
    s.days_without_contact_before_last_order,
    s.signal_complaints,
    s.signal_returns,
    s.signal_order_decline,
    s.signal_discount_dependent,
    s.signal_no_contact,
    s.signal_one_time,
    s.churn_reason,
    cr.label_en AS churn_reason_label_en,
    cr.label_zh AS churn_reason_label_zh,
    cr.action_en AS churn_reason_action_en,
    cr.action_zh AS churn_reason_action_zh,
    sc.r_score,
    sc.f_score,
    sc.m_score,
    CASE
        WHEN sc.r_score IS NULL THEN NULL
        WHEN sc.r_score >= 4 AND sc.f_score >= 4 AND sc.m_score >= 4 THEN 'champions'
        WHEN sc.r_score >= 3 AND sc.f_score >= 4 THEN 'loyal'
        WHEN sc.r_score >= 4 AND sc.f_score >= 2 THEN 'potential loyalist'
        WHEN sc.r_score = 5 AND sc.f_score = 1 THEN 'new'
        WHEN sc.r_score = 4 AND sc.f_score = 1 THEN 'promising'
        WHEN sc.r_score = 3 AND sc.f_score = 3 THEN 'needs attention'
        WHEN sc.r_score = 3 THEN 'about to sleep'
        WHEN sc.f_score >= 4 AND sc.m_score >= 4 THEN 'can''t lose'
        WHEN sc.f_score >= 3 THEN 'at risk'
        WHEN sc.r_score = 2 THEN 'hibernating'
        ELSE 'lost'
    END AS rfm_segment,
    round(CAST(coalesce(greatest(0, sc.key_account_base_score - s.churn_penalty), 0) AS DECIMAL(38, 9)), 2) AS key_account_score,
    coalesce(round(CAST(sc.key_account_base_score - s.churn_penalty AS DECIMAL(38, 9)), 2) >= @key_account_min_score@, false)
        AS is_key_account,
    s.trait_high_value,
    s.trait_loyal,
    s.trait_advocate,
    s.trait_retained,
    s.core_traits,
    s.is_core_customer,
    s.as_of_date
FROM reasons AS s
LEFT JOIN scores AS sc USING (customer_id)
LEFT JOIN strategies AS st USING (quadrant)
LEFT JOIN churn_reasons AS cr USING (churn_reason);

CREATE OR REPLACE TEMP TABLE pareto_curve AS
WITH ranked AS (
    SELECT
        'net_revenue_window' AS measure,
        customer_id,
        net_revenue_window AS value,
        row_number() OVER (ORDER BY net_revenue_window DESC, customer_id) AS customer_rank,
        count(*) OVER () AS ranked_customers,
        sum(net_revenue_window) OVER (ORDER BY net_revenue_window DESC, customer_id ROWS UNBOUNDED PRECEDING)
            AS cumulative_value,
        sum(net_revenue_window) OVER () AS total_value
    FROM customer_value
    WHERE net_revenue_window > 0
    UNION ALL
    SELECT
        'gross_profit_window',
        customer_id,
        gross_profit_window,
        row_number() OVER (ORDER BY gross_profit_window DESC, customer_id),
        count(*) OVER (),
        sum(gross_profit_window) OVER (ORDER BY gross_profit_window DESC, customer_id ROWS UNBOUNDED PRECEDING),
        sum(gross_profit_window) OVER ()
    FROM customer_value
    WHERE gross_profit_window > 0
)
SELECT
    measure,
    customer_rank,
    customer_id,
    value,
    customer_rank / CAST(ranked_customers AS DOUBLE) AS cumulative_customer_share,
    cumulative_value / total_value AS cumulative_value_share,
    (SELECT as_of FROM params) AS as_of_date
FROM ranked;

CREATE OR REPLACE TEMP TABLE pareto_summary AS
WITH
tops AS (
    SELECT
        count(*) FILTER (WHERE measure = 'net_revenue_window') AS revenue_ranked_customers,
        sum(value) FILTER (WHERE measure = 'net_revenue_window') AS ranked_revenue,
        sum(value) FILTER (
            WHERE measure = 'net_revenue_window'
                AND customer_rank <= ceil(@pareto_top_customer_share@ * ranked_customers)
        ) AS top_revenue,
        count(*) FILTER (WHERE measure = 'gross_profit_window') AS profit_ranked_customers,
        sum(value) FILTER (WHERE measure = 'gross_profit_window') AS ranked_profit,
        sum(value) FILTER (
            WHERE measure = 'gross_profit_window'
                AND customer_rank <= ceil(@pareto_top_customer_share@ * ranked_customers)
        ) AS top_profit
    FROM (SELECT measure, customer_rank, value, count(*) OVER (PARTITION BY measure) AS ranked_customers FROM pareto_curve)
),
tiers AS (
    SELECT
        count(*) AS customers,
        sum(net_revenue_window) AS net_revenue_window,
        sum(gross_profit_window) AS gross_profit_window,
        count(*) FILTER (WHERE pareto_tier = 'A') AS a_n,
        count(*) FILTER (WHERE pareto_tier = 'B') AS b_n,
        count(*) FILTER (WHERE pareto_tier = 'C') AS c_n,
        count(*) FILTER (WHERE pareto_tier = 'D') AS d_n,
        coalesce(sum(net_revenue_window) FILTER (WHERE pareto_tier = 'A'), 0) AS a_rev,
        coalesce(sum(net_revenue_window) FILTER (WHERE pareto_tier = 'B'), 0) AS b_rev,
        coalesce(sum(net_revenue_window) FILTER (WHERE pareto_tier = 'C'), 0) AS c_rev,
        coalesce(sum(net_revenue_window) FILTER (WHERE pareto_tier = 'D'), 0) AS d_rev
    FROM customer_value
)
SELECT
    (SELECT as_of FROM params) AS as_of_date,
    customers,
    net_revenue_window,
    gross_profit_window,
    revenue_ranked_customers,
    CAST(ceil(@pareto_top_customer_share@ * revenue_ranked_customers) AS INTEGER) AS revenue_top_customers,
    top_revenue / ranked_revenue AS top_customers_revenue_share,
    profit_ranked_customers,
    CAST(ceil(@pareto_top_customer_share@ * profit_ranked_customers) AS INTEGER) AS profit_top_customers,
    top_profit / ranked_profit AS top_customers_profit_share,
    a_n AS tier_a_customers,
    CASE WHEN customers > 0 THEN a_n / CAST(customers AS DOUBLE) END AS tier_a_customer_share,
    a_rev AS tier_a_net_revenue_window,
    CASE WHEN ranked_revenue > 0 THEN a_rev / ranked_revenue ELSE 0 END AS tier_a_revenue_share,
    b_n AS tier_b_customers,
    CASE WHEN customers > 0 THEN b_n / CAST(customers AS DOUBLE) END AS tier_b_customer_share,
    b_rev AS tier_b_net_revenue_window,
    CASE WHEN ranked_revenue > 0 THEN b_rev / ranked_revenue ELSE 0 END AS tier_b_revenue_share,
    c_n AS tier_c_customers,
    CASE WHEN customers > 0 THEN c_n / CAST(customers AS DOUBLE) END AS tier_c_customer_share,
    c_rev AS tier_c_net_revenue_window,
    CASE WHEN ranked_revenue > 0 THEN c_rev / ranked_revenue ELSE 0 END AS tier_c_revenue_share,
    d_n AS tier_d_customers,
    CASE WHEN customers > 0 THEN d_n / CAST(customers AS DOUBLE) END AS tier_d_customer_share,
    d_rev AS tier_d_net_revenue_window,
    CASE WHEN ranked_revenue > 0 THEN d_rev / ranked_revenue ELSE 0 END AS tier_d_revenue_share,
    @pareto_a_cutoff@ AS pareto_a_cutoff,
    @pareto_b_cutoff@ AS pareto_b_cutoff
FROM tiers, tops;

CREATE OR REPLACE TEMP TABLE quadrant_summary AS
WITH
totals AS (
    SELECT count(*) AS customers, sum(net_revenue_window) AS net_revenue_window FROM customer_value
),
by_quadrant AS (
    SELECT
        quadrant,
        count(*) AS customers,
        sum(orders_window) AS orders_window,
        sum(net_revenue_window) AS net_revenue_window,
        sum(gross_profit_window) AS gross_profit_window,
        sum(cost_to_serve_window) AS cost_to_serve_window,
        count(*) FILTER (WHERE is_loss_making) AS loss_making_customers,
        count(*) FILTER (WHERE churn_status = 'at_risk') AS at_risk_customers
    FROM customer_value
    GROUP BY quadrant
)
SELECT
    s.quadrant,
    CAST(s.sort_order AS INTEGER) AS sort_order,
    s.label_en,
    s.label_zh,
    coalesce(q.customers, 0) AS customers,
    CASE WHEN t.customers > 0 THEN coalesce(q.customers, 0) / CAST(t.customers AS DOUBLE) ELSE 0 END AS customer_share,
    coalesce(q.orders_window, 0) AS orders_window,
    coalesce(q.net_revenue_window, 0) AS net_revenue_window,
    CASE WHEN t.net_revenue_window > 0 THEN coalesce(q.net_revenue_window, 0) / t.net_revenue_window END
        AS revenue_share,
    coalesce(q.gross_profit_window, 0) AS gross_profit_window,
    CASE WHEN q.net_revenue_window > 0 THEN q.gross_profit_window / q.net_revenue_window END AS gross_margin,
    CASE WHEN q.orders_window > 0 THEN q.net_revenue_window / q.orders_window END AS avg_order_value,
    coalesce(q.cost_to_serve_window, 0) AS cost_to_serve_window,
    coalesce(q.loss_making_customers, 0) AS loss_making_customers,
    coalesce(q.at_risk_customers, 0) AS at_risk_customers,
    s.strategy_en,
    s.strategy_zh,
    (SELECT as_of FROM params) AS as_of_date
FROM @seed_quadrant_strategies@ AS s
CROSS JOIN totals AS t
LEFT JOIN by_quadrant AS q USING (quadrant);

CREATE OR REPLACE TEMP TABLE profit_band_summary AS
WITH
totals AS (SELECT sum(gross_profit_window) AS gross_profit_window FROM customer_value),
by_band AS (
    SELECT
        profit_band,
        count(*) AS customers,
        count(*) FILTER (WHERE is_loss_making) AS loss_making_customers,
        sum(net_revenue_window) AS net_revenue_window,
        sum(gross_profit_window) AS gross_profit_window,
        sum(cost_to_serve_window) AS cost_to_serve_window,
        sum(interactions_window) AS interactions_window
    FROM customer_value
    GROUP BY profit_band
)
SELECT
    a.profit_band,
    CAST(a.sort_order AS INTEGER) AS sort_order,
    a.label_en,
    a.label_zh,
    coalesce(b.customers, 0) AS customers,
    coalesce(b.loss_making_customers, 0) AS loss_making_customers,
    coalesce(b.net_revenue_window, 0) AS net_revenue_window,
    coalesce(b.gross_profit_window, 0) AS gross_profit_window,
    coalesce(b.cost_to_serve_window, 0) AS cost_to_serve_window,
    CASE WHEN b.net_revenue_window > 0 THEN b.gross_profit_window / b.net_revenue_window END AS gross_margin,
    CASE WHEN t.gross_profit_window > 0 THEN coalesce(b.gross_profit_window, 0) / t.gross_profit_window END
        AS profit_share,
    CASE WHEN b.customers > 0 THEN b.interactions_window / CAST(b.customers AS DOUBLE) END
        AS interactions_window_per_customer,
    a.action_en,
    a.action_zh,
    (SELECT as_of FROM params) AS as_of_date
FROM @seed_profit_band_actions@ AS a
CROSS JOIN totals AS t
LEFT JOIN by_band AS b USING (profit_band);

CREATE OR REPLACE TEMP TABLE segment_summary AS
WITH
labelled AS (
    SELECT
        d.dimension,
        coalesce(nullif(trim(CASE d.dimension
            WHEN 'crm_group' THEN c.crm_group
            WHEN 'membership_level' THEN c.membership_level
            WHEN 'customer_type' THEN c.customer_type
            WHEN 'industry' THEN c.industry
            WHEN 'region' THEN c.region
            WHEN 'acquisition_channel' THEN c.acquisition_channel
            WHEN 'account_manager' THEN c.account_manager
        END), ''), '(unknown)') AS value,
        c.*
    FROM customer_value AS c
    CROSS JOIN (
        VALUES ('crm_group'), ('membership_level'), ('customer_type'), ('industry'), ('region'),
            ('acquisition_channel'), ('account_manager')
    ) AS d (dimension)
),
by_value AS (
    SELECT
        dimension,
        value,
        count(*) AS customers,
        count(*) FILTER (WHERE orders_window > 0) AS customers_with_window_order,
        count(*) FILTER (WHERE first_order_date IS NOT NULL) AS customers_with_orders,
        sum(net_revenue_window) AS net_revenue_window,
        sum(gross_profit_window) AS gross_profit_window,
        count(*) FILTER (WHERE pareto_tier = 'A') AS tier_a_customers,
        count(*) FILTER (WHERE is_core_customer) AS core_customers,
        count(*) FILTER (WHERE is_key_account) AS key_accounts,
        count(*) FILTER (WHERE churn_status = 'at_risk') AS at_risk_customers,
        count(*) FILTER (WHERE churn_status = 'churned') AS churned_customers,
        coalesce(sum(net_revenue_window) FILTER (WHERE churn_status = 'at_risk'), 0) AS revenue_at_risk,
        sum(interactions_window) AS interactions_window
    FROM labelled
    GROUP BY dimension, value
)
SELECT
    dimension,
    value,
    customers,
    customers_with_window_order,
    net_revenue_window,
    gross_profit_window,
    CASE WHEN net_revenue_window > 0 THEN gross_profit_window / net_revenue_window END AS gross_margin,
    CASE WHEN t.total > 0 THEN net_revenue_window / t.total END AS revenue_share,
    tier_a_customers,
    core_customers,
    key_accounts,
    at_risk_customers,
    churned_customers,
    CASE WHEN customers_with_orders > 0 THEN churned_customers / CAST(customers_with_orders AS DOUBLE) END
        AS churn_rate,
    revenue_at_risk,
    interactions_window / CAST(customers AS DOUBLE) AS interactions_window_per_customer,
    (SELECT as_of FROM params) AS as_of_date
FROM by_value
CROSS JOIN (SELECT sum(net_revenue_window) AS total FROM customer_value) AS t;

CREATE OR REPLACE TEMP TABLE cohort_retention AS
WITH
customer_months AS (
    SELECT
        customer_id,
        CAST(date_trunc('month', order_date) AS DATE) AS activity_month,
        sum(net_revenue) AS net_revenue,
        sum(gross_profit) AS gross_profit
    FROM order_days
    GROUP BY ALL
),
activity AS (
    SELECT
        cohort_month,
        datediff('month', cohort_month, activity_month) AS month_offset,
        count(*) AS active_customers,
        sum(net_revenue) AS net_revenue,
        sum(gross_profit) AS gross_profit,
        count(*) FILTER (WHERE activity_month = cohort_month) AS cohort_size
    FROM (SELECT *, min(activity_month) OVER (PARTITION BY customer_id) AS cohort_month FROM customer_months)
    GROUP BY ALL
),
cohorts AS (
    SELECT cohort_month, cohort_size FROM activity WHERE month_offset = 0
),
grid AS (
    SELECT c.cohort_month, c.cohort_size, k.month_offset
    FROM cohorts AS c
    CROSS JOIN params AS p
    CROSS JOIN LATERAL (
        SELECT range AS month_offset
        FROM range(datediff('month', c.cohort_month, CAST(date_trunc('month', p.as_of) AS DATE)) + 1)
    ) AS k
),
monthly AS (
    SELECT
        g.cohort_month,
        g.month_offset,
        g.cohort_size,
        coalesce(a.active_customers, 0) AS active_customers,
        coalesce(a.net_revenue, 0) AS net_revenue,
        coalesce(a.gross_profit, 0) AS gross_profit
    FROM grid AS g
    LEFT JOIN activity AS a USING (cohort_month, month_offset)
)
SELECT
    cohort_month,
    month_offset,
    cohort_size,
    active_customers,
    active_customers / CAST(cohort_size AS DOUBLE) AS retention_rate,
    net_revenue,
    gross_profit,
    sum(net_revenue) OVER w / cohort_size AS cumulative_net_revenue_per_customer,
    sum(gross_profit) OVER w / cohort_size AS cumulative_gross_profit_per_customer,
    (SELECT as_of FROM params) AS as_of_date
FROM monthly
WINDOW w AS (PARTITION BY cohort_month ORDER BY month_offset ROWS UNBOUNDED PRECEDING);

-- The tier history: every known customer at every month end from the month of the
-- first counted order to as_of_date, classified with the rules above on the facts
-- dated by that month end.
CREATE OR REPLACE TEMP TABLE month_ends AS
SELECT CAST(last_day(first_month + to_months(CAST(k.range AS INTEGER))) AS DATE) AS month_end
FROM (SELECT CAST(date_trunc('month', min(order_date)) AS DATE) AS first_month FROM order_days) AS f
CROSS JOIN params AS p
CROSS JOIN LATERAL range(datediff('month', f.first_month, p.as_of) + 1) AS k
WHERE last_day(first_month + to_months(CAST(k.range AS INTEGER))) <= p.as_of;

-- Each dated fact at the month ends that count it, summed per customer and month end.
-- A fact counts at the month ends m from last_day(starts) while m < ends: with m a month
-- end, d in (m - n, m] holds exactly when last_day(d) <= m < last_day(d + n). Expanding
-- each fact by month offsets is plain arithmetic, no range join.
CREATE OR REPLACE TEMP TABLE month_end_facts AS
WITH
facts AS (
    -- Order days in the value window, as sold.
    SELECT
        customer_id,
        order_date AS starts,
        last_day(order_date + @value_window_days@) AS ends,
        orders,
        revenue_before_returns AS revenue,
        gross_profit_before_returns AS profit,
        0 AS active_months,
        CAST(0 AS DECIMAL(38, 12)) AS prior_revenue,
        0 AS interactions
    FROM order_days
    UNION ALL
    -- Order days in the year before the window, (m - 2n, m - n].
    SELECT
        customer_id, order_date + @value_window_days@, last_day(order_date + 2 * @value_window_days@),
        0, 0, 0, 0, CAST(revenue_before_returns AS DECIMAL(38, 12)), 0
    FROM order_days
    UNION ALL
    -- A month is active while its last order day is in the window.
    SELECT customer_id, order_date, last_day(order_date + @value_window_days@), 0, 0, 0, 1, 0, 0
    FROM (SELECT customer_id, max(order_date) AS order_date FROM order_days GROUP BY customer_id, date_trunc('month', order_date))
    UNION ALL
    -- Returns booked by the month end, off their order's window...
    SELECT
        customer_id, greatest(order_date, return_date), last_day(order_date + @value_window_days@),
        0, -refund, returned_cost - refund, 0, 0, 0
    FROM valued_returns
    UNION ALL
    -- ...or off the year before it.
    SELECT
        customer_id, greatest(order_date + @value_window_days@, return_date), last_day(order_date + 2 * @value_window_days@),
        0, 0, 0, 0, -CAST(refund AS DECIMAL(38, 12)), 0
    FROM valued_returns
    UNION ALL
    SELECT customer_id, occurred_on, last_day(occurred_on + @value_window_days@), 0, 0, 0, 0, 0, 1
    FROM interactions
),
months AS (
    -- Months as integers (year x 12 + month): the expansion and the grouping stay on
    -- integers; the month end is made once per group.
    SELECT
        * EXCLUDE (starts, ends),
        year(starts) * 12 + month(starts) - 1 AS first_month,
        year(ends) * 12 + month(ends) - 1 AS end_month
    FROM facts
),
expanded AS (
    SELECT m.* EXCLUDE (first_month, end_month), unnest(range(m.first_month, m.end_month)) AS month_index
    FROM months AS m
),
sums AS (
    SELECT
        customer_id,
        month_index,
        sum(orders) AS orders_window,
        sum(revenue) AS net_revenue_window,
        sum(profit) AS gross_profit_window,
        sum(active_months) AS active_months_window,
        sum(prior_revenue) AS net_revenue_prior_window,
        sum(interactions) AS interactions_window
    FROM expanded
    GROUP BY ALL
)
SELECT
    s.customer_id,
    CAST(last_day(make_date(CAST(s.month_index // 12 AS INTEGER), CAST(s.month_index % 12 + 1 AS INTEGER), 1)) AS DATE)
        AS month_end,
    s.* EXCLUDE (customer_id, month_index)
FROM sums AS s
CROSS JOIN params AS p
WHERE s.month_index <= year(p.as_of) * 12 + month(p.as_of) - 1
    AND last_day(make_date(CAST(s.month_index // 12 AS INTEGER), CAST(s.month_index % 12 + 1 AS INTEGER), 1)) <= p.as_of;

-- Each month end's revenue and profit rankings, on the narrow rows of the customers
-- with an order in the window.
CREATE OR REPLACE TEMP TABLE month_end_ranks AS
SELECT
    customer_id,
    month_end,
    CASE WHEN net_revenue_window > 0 THEN
        sum(net_revenue_window) OVER (
            PARTITION BY month_end, net_revenue_window > 0
            ORDER BY net_revenue_window DESC, customer_id ROWS UNBOUNDED PRECEDING
        ) - net_revenue_window
    END AS revenue_ranked_before,
    CASE WHEN net_revenue_window > 0 THEN
        sum(net_revenue_window) OVER (PARTITION BY month_end, net_revenue_window > 0)
    END AS revenue_ranked_total,
    row_number() OVER (PARTITION BY month_end ORDER BY gross_profit_window DESC, customer_id) AS profit_rank,
    count(*) OVER (PARTITION BY month_end) AS profit_ranked_customers
FROM month_end_facts
WHERE orders_window > 0;

CREATE OR REPLACE TEMP TABLE customer_tier_history AS
WITH
first_orders AS (
    SELECT customer_id, min(order_date) AS first_order_date FROM order_days GROUP BY customer_id
),
customers AS (
    -- Known from the CRM record or the first order, whichever is earlier.
    SELECT
        k.customer_id,
        k.referred_by_customer_id,
        f.first_order_date,
        least(CAST(k.created_at AS DATE), f.first_order_date) AS known_from
    FROM known AS k
    LEFT JOIN first_orders AS f USING (customer_id)
),
referrals AS (
    SELECT referred_by_customer_id AS customer_id, CAST(last_day(known_from) AS DATE) AS from_month_end
    FROM customers
    WHERE referred_by_customer_id IS NOT NULL AND known_from IS NOT NULL
),
grid AS (
    SELECT c.customer_id, m.month_end, CASE WHEN c.first_order_date <= m.month_end THEN c.first_order_date END
        AS first_order_date
    FROM customers AS c
    JOIN month_ends AS m ON last_day(c.known_from) <= m.month_end
),
referred AS (
    SELECT g.customer_id, g.month_end, count(*) AS referrals_made
    FROM referrals AS r
    JOIN grid AS g ON r.customer_id = g.customer_id AND r.from_month_end <= g.month_end
    GROUP BY ALL
),
rows AS (
    SELECT
        g.customer_id,
        g.month_end,
        g.first_order_date,
        d.order_date AS last_order_date,
        coalesce(d.order_days_to_date, 0) AS order_days,
        d.typical_gap_days_to_date AS typical_gap_days,
        g.month_end - d.order_date AS recency_days,
        coalesce(f.orders_window, 0) AS orders_window,
        coalesce(f.net_revenue_window, 0) AS net_revenue_window,
        coalesce(f.gross_profit_window, 0) AS gross_profit_window,
        coalesce(f.active_months_window, 0) AS active_months_window,
        coalesce(f.net_revenue_prior_window, 0) AS net_revenue_prior_window,
        coalesce(f.interactions_window, 0) AS interactions_window,
        coalesce(r.referrals_made, 0) AS referrals_made
    FROM grid AS g
    ASOF LEFT JOIN order_days AS d ON g.customer_id = d.customer_id AND g.month_end >= d.order_date
    LEFT JOIN month_end_facts AS f ON g.customer_id = f.customer_id AND g.month_end = f.month_end
    LEFT JOIN referred AS r ON g.customer_id = r.customer_id AND g.month_end = r.month_end
),
gap_months AS (
    SELECT CAST(last_day(order_date) AS DATE) AS gap_month_end, gap_days, count(*) AS gaps
    FROM order_days
    WHERE gap_days IS NOT NULL
    GROUP BY ALL
),
gap_histogram AS (
    SELECT m.month_end, g.gap_days, sum(g.gaps) AS gaps
    FROM month_ends AS m
    JOIN gap_months AS g ON g.gap_month_end <= m.month_end
    GROUP BY ALL
),
gap_cumulative AS (
    SELECT
        month_end,
        gap_days,
        sum(gaps) OVER (PARTITION BY month_end ORDER BY gap_days ROWS UNBOUNDED PRECEDING) AS gaps_up_to,
        sum(gaps) OVER (PARTITION BY month_end) AS total_gaps
    FROM gap_histogram
),
one_time AS (
    -- Percentiles (linear interpolation) of every gap closed by the month end, read
    -- from its histogram.
    SELECT
        month_end,
        CAST(
            min(gap_days) FILTER (WHERE gaps_up_to > floor(@one_time_at_risk_percentile@ * (total_gaps - 1)))
            + max(@one_time_at_risk_percentile@ * (total_gaps - 1) - floor(@one_time_at_risk_percentile@ * (total_gaps - 1)))
            * (min(gap_days) FILTER (WHERE gaps_up_to > ceil(@one_time_at_risk_percentile@ * (total_gaps - 1)))
                - min(gap_days) FILTER (WHERE gaps_up_to > floor(@one_time_at_risk_percentile@ * (total_gaps - 1))))
            AS DOUBLE
        ) AS at_risk_gap,
        CAST(
            min(gap_days) FILTER (WHERE gaps_up_to > floor(@one_time_churn_percentile@ * (total_gaps - 1)))
            + max(@one_time_churn_percentile@ * (total_gaps - 1) - floor(@one_time_churn_percentile@ * (total_gaps - 1)))
            * (min(gap_days) FILTER (WHERE gaps_up_to > ceil(@one_time_churn_percentile@ * (total_gaps - 1)))
                - min(gap_days) FILTER (WHERE gaps_up_to > floor(@one_time_churn_percentile@ * (total_gaps - 1))))
            AS DOUBLE
        ) AS churn_gap
    FROM gap_cumulative
    GROUP BY month_end
),
ranked AS (
    SELECT
        r.*,
        k.revenue_ranked_before,
        k.revenue_ranked_total,
        k.profit_rank,
        k.profit_ranked_customers,
        greatest(
            CASE WHEN r.order_days >= 2 THEN @at_risk_gap_multiplier@ * r.typical_gap_days
                ELSE coalesce(o.at_risk_gap, 0) END,
            @min_at_risk_days@
        ) AS at_risk_after_days,
        greatest(
            CASE WHEN r.order_days >= 2 THEN @churn_gap_multiplier@ * r.typical_gap_days
                ELSE coalesce(o.churn_gap, 0) END,
            @min_churn_days@
        ) AS churn_after_days
    FROM rows AS r
    LEFT JOIN one_time AS o USING (month_end)
    LEFT JOIN month_end_ranks AS k ON r.customer_id = k.customer_id AND r.month_end = k.month_end
),
classified AS (
    SELECT
        *,
        CASE
            WHEN net_revenue_window <= 0 THEN 'D'
            WHEN revenue_ranked_before < @pareto_a_cutoff@ * revenue_ranked_total THEN 'A'
            WHEN revenue_ranked_before < @pareto_b_cutoff@ * revenue_ranked_total THEN 'B'
            ELSE 'C'
        END AS pareto_tier,
        CASE
            WHEN profit_rank IS NULL THEN 'none'
            WHEN profit_rank - 1 < @profit_top_share@ * profit_ranked_customers THEN 'top_20'
            WHEN profit_rank - 1 >= (1 - @profit_bottom_share@) * profit_ranked_customers THEN 'bottom_20'
            ELSE 'middle_60'
        END AS profit_band,
        CASE
            WHEN first_order_date IS NULL THEN 'prospect'
            WHEN recency_days > churn_after_days THEN 'churned'
            WHEN recency_days > at_risk_after_days THEN 'at_risk'
            ELSE 'active'
        END AS churn_status
    FROM ranked
),
scored AS (
    SELECT
        month_end,
        customer_id,
        100 * (
            @key_account_weight_profit@ * percent_rank() OVER (PARTITION BY month_end ORDER BY gross_profit_window)
            + @key_account_weight_tenure@ * percent_rank() OVER (PARTITION BY month_end ORDER BY tenure_days)
            + @key_account_weight_stability@ * percent_rank() OVER (PARTITION BY month_end ORDER BY active_months_window)
            + @key_account_weight_growth@
                * percent_rank() OVER (PARTITION BY month_end ORDER BY growth)
            + @key_account_weight_referrals@ * percent_rank() OVER (PARTITION BY month_end ORDER BY referrals_made)
            + @key_account_weight_engagement@ * percent_rank() OVER (PARTITION BY month_end ORDER BY interactions_window)
        ) / (
            @key_account_weight_profit@ + @key_account_weight_tenure@ + @key_account_weight_stability@
            + @key_account_weight_growth@ + @key_account_weight_referrals@ + @key_account_weight_engagement@
        ) AS key_account_base_score
    FROM (
        -- Narrow rows to sort: the six measures of the customers with orders.
        SELECT
            month_end,
            customer_id,
            gross_profit_window,
            month_end - first_order_date AS tenure_days,
            active_months_window,
            net_revenue_window - net_revenue_prior_window AS growth,
            referrals_made,
            interactions_window
        FROM classified
        WHERE first_order_date IS NOT NULL
    )
)
SELECT
    c.month_end,
    c.customer_id,
    c.pareto_tier,
    c.profit_band,
    CASE
        WHEN c.first_order_date IS NULL THEN 'prospect'
        WHEN c.orders_window = 0 THEN 'inactive'
        WHEN c.first_order_date <= c.month_end - @old_customer_min_days@
            THEN CASE WHEN c.pareto_tier = 'A' THEN 'old_big' ELSE 'old_small' END
        ELSE CASE WHEN c.pareto_tier = 'A' THEN 'new_big' ELSE 'new_small' END
    END AS quadrant,
    c.churn_status,
    c.first_order_date,
    c.last_order_date,
    c.recency_days,
    c.orders_window,
    c.net_revenue_window::DOUBLE AS net_revenue_window,
    c.gross_profit_window::DOUBLE AS gross_profit_window,
    round(CAST(coalesce(greatest(0, s.key_account_base_score - p.penalty), 0) AS DECIMAL(38, 9)), 2) AS key_account_score,
    coalesce(round(CAST(s.key_account_base_score - p.penalty AS DECIMAL(38, 9)), 2) >= @key_account_min_score@, false) AS is_key_account
FROM classified AS c
CROSS JOIN LATERAL (
    SELECT CASE c.churn_status
        WHEN 'churned' THEN @key_account_churned_penalty@
        WHEN 'at_risk' THEN @key_account_at_risk_penalty@
        ELSE 0
    END AS penalty
) AS p
LEFT JOIN scored AS s USING (month_end, customer_id);

CREATE OR REPLACE TEMP TABLE tier_migration AS
WITH
bounds AS (SELECT min(month_end) AS first_month_end, max(month_end) AS latest_month_end FROM month_ends),
pairs AS (
    SELECT CAST(last_day(m.month_end - INTERVAL 1 YEAR) AS DATE) AS from_month_end, m.month_end AS to_month_end
    FROM month_ends AS m, bounds AS b
    WHERE month(m.month_end) = month(b.latest_month_end)
        AND CAST(last_day(m.month_end - INTERVAL 1 YEAR) AS DATE) >= b.first_month_end
),
moves AS (
    SELECT
        p.from_month_end,
        p.to_month_end,
        f.pareto_tier AS from_tier,
        t.pareto_tier AS to_tier,
        f.quadrant AS from_quadrant,
        t.quadrant AS to_quadrant,
        CASE WHEN f.is_key_account THEN 'key' WHEN NOT f.is_key_account THEN 'not_key' END AS from_key_account,
        CASE WHEN t.is_key_account THEN 'key' ELSE 'not_key' END AS to_key_account,
        coalesce(f.net_revenue_window, 0) AS from_net_revenue_window,
        t.net_revenue_window AS to_net_revenue_window
    FROM pairs AS p
    JOIN customer_tier_history AS t ON t.month_end = p.to_month_end
    LEFT JOIN customer_tier_history AS f ON f.month_end = p.from_month_end AND f.customer_id = t.customer_id
)
SELECT
    dimension,
    from_month_end,
    to_month_end,
    coalesce(from_value, 'not_a_customer') AS from_value,
    to_value,
    count(*) AS customers,
    sum(from_net_revenue_window) AS from_net_revenue_window,
    sum(to_net_revenue_window) AS to_net_revenue_window
FROM moves
CROSS JOIN LATERAL (
    VALUES
        ('pareto_tier', moves.from_tier, moves.to_tier),
        ('quadrant', moves.from_quadrant, moves.to_quadrant),
        ('key_account', moves.from_key_account, moves.to_key_account)
) AS d (dimension, from_value, to_value)
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE churn_analysis AS
WITH
buyers AS (
    SELECT
        c.*,
        coalesce(h.pareto_tier, c.pareto_tier) AS tier_before_churn,
        coalesce(h.quadrant, c.quadrant) AS quadrant_before_churn,
        CAST(CAST(date_trunc('month', c.churned_on) AS DATE) AS VARCHAR) AS churn_month
    FROM customer_value AS c
    LEFT JOIN customer_tier_history AS h
        ON h.customer_id = c.customer_id AND h.month_end = CAST(last_day(c.last_order_date) AS DATE)
    WHERE c.first_order_date IS NOT NULL
),
labelled AS (
    SELECT d.dimension, CASE d.dimension
            WHEN 'tier_before_churn' THEN coalesce(tier_before_churn, '(unknown)')
            WHEN 'quadrant_before_churn' THEN coalesce(quadrant_before_churn, '(unknown)')
            WHEN 'region' THEN coalesce(region, '(unknown)')
            WHEN 'acquisition_channel' THEN coalesce(acquisition_channel, '(unknown)')
            WHEN 'account_manager' THEN coalesce(account_manager, '(unknown)')
            WHEN 'churn_month' THEN churn_month
            WHEN 'churn_reason' THEN coalesce(churn_reason, '(unknown)')
        END AS dimension_value, b.*
    FROM buyers AS b
    CROSS JOIN (
        VALUES ('tier_before_churn'), ('quadrant_before_churn'), ('region'), ('acquisition_channel'),
            ('account_manager'), ('churn_month'), ('churn_reason')
    ) AS d (dimension)
    WHERE (d.dimension <> 'churn_month' OR b.churn_status = 'churned')
        AND (d.dimension <> 'churn_reason' OR b.churn_status IN ('at_risk', 'churned'))
)
SELECT
    dimension,
    dimension_value,
    count(*) AS customers,
    count(*) FILTER (WHERE churn_status = 'active') AS active_customers,
    count(*) FILTER (WHERE churn_status = 'at_risk') AS at_risk_customers,
    count(*) FILTER (WHERE churn_status = 'churned') AS churned_customers,
    count(*) FILTER (WHERE churn_status = 'churned') / CAST(count(*) AS DOUBLE) AS churn_rate,
    coalesce(sum(net_revenue_last_active_year) FILTER (WHERE churn_status = 'churned'), 0) AS churned_revenue_lost,
    coalesce(sum(net_revenue_window) FILTER (WHERE churn_status = 'at_risk'), 0) AS at_risk_net_revenue_window,
    avg(complaints_before_last_order) FILTER (WHERE churn_status = 'churned')
        AS churned_avg_complaints_before_last_order,
    count(*) FILTER (WHERE churn_status = 'churned' AND complaints_before_last_order > 0) AS churned_with_complaints,
    avg(days_without_contact_before_last_order) FILTER (WHERE churn_status = 'churned')
        AS churned_avg_days_without_contact,
    avg(complaints_before_last_order) FILTER (WHERE churn_status = 'active')
        AS active_avg_complaints_before_last_order,
    max(as_of_date) AS as_of_date
FROM labelled
GROUP BY dimension, dimension_value;
