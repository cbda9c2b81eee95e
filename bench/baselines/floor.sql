-- The "floor": the fastest hand-written single DuckDB script for customer_value and
-- pareto_summary (SPEC section 4), straight from the landing files. Same rules and
-- interpretation choices as bench/baselines/pandas_rules.py (see its docstring).
--
-- floor.py fills the placeholders before running it on one in-process connection:
--   @orders@ @order_lines@ @returns@ @fx_rates@ @customers@ @interactions@
--       a relation of the table's landed batches: its typed columns plus _batch, the
--       batch's position in file-name order (a later batch wins per key)
--   @as_of@  a DATE literal, or NULL for the default (latest completed order date)
--   @reporting_currency@ @window_days@ @cost_to_serve_per_order@ @tier_a_cut@
--   @tier_b_cut@ @profit_top_cut@ @profit_bottom_cut@ @pareto_top_share@
--   @old_customer_min_days@ @at_risk_gap_multiplier@ @churn_gap_multiplier@
--   @min_at_risk_days@ @min_churn_days@ @one_time_at_risk_percentile@
--   @one_time_churn_percentile@
-- Two statements, separated by ";" at the end of a line; the results are the temp
-- tables customer_value and pareto_summary.

-- "Latest batch wins" is written as: drop a row when a later batch holds its key. Only
-- restated keys (count > 1) reach the anti join, so clean batches cost one aggregate.
CREATE OR REPLACE TEMP TABLE customer_value AS
WITH
orders_raw AS MATERIALIZED (
    SELECT order_id, customer_id, CAST(ordered_at AS DATE) AS order_date, currency, status, shipping_cost, _batch
    FROM @orders@
),
orders AS MATERIALIZED (
    SELECT o.* EXCLUDE (_batch)
    FROM orders_raw AS o
    ANTI JOIN (
        SELECT order_id, max(_batch) AS latest FROM orders_raw GROUP BY ALL HAVING count(*) > 1
    ) AS later ON o.order_id = later.order_id AND o._batch < later.latest
),
params AS MATERIALIZED (
    SELECT CAST(COALESCE(@as_of@, (SELECT max(order_date) FROM orders WHERE status = 'completed')) AS DATE) AS as_of
),
lines_raw AS (
    SELECT order_id, line_number, quantity, unit_price, discount_amount, unit_cost, _batch
    FROM @order_lines@
),
lines AS (
    SELECT l.*
    FROM lines_raw AS l
    ANTI JOIN (
        SELECT order_id, line_number, max(_batch) AS latest FROM lines_raw GROUP BY ALL HAVING count(*) > 1
    ) AS later ON l.order_id = later.order_id AND l.line_number = later.line_number AND l._batch < later.latest
),
returns_raw AS (
    SELECT return_id, order_id, line_number, CAST(returned_at AS DATE) AS returned_on, quantity, refund_amount, _batch
    FROM @returns@
),
returned AS (
    SELECT r.order_id, r.line_number, sum(r.quantity) AS returned_quantity, sum(r.refund_amount) AS refund
    FROM returns_raw AS r
    ANTI JOIN (
        SELECT return_id, max(_batch) AS latest FROM returns_raw GROUP BY ALL HAVING count(*) > 1
    ) AS later ON r.return_id = later.return_id AND r._batch < later.latest
    WHERE r.returned_on <= (SELECT as_of FROM params)
    GROUP BY ALL
),
per_order AS (
    SELECT
        l.order_id,
        sum(l.quantity * l.unit_price - l.discount_amount - coalesce(r.refund, 0)) AS net_local,
        sum((l.quantity - coalesce(r.returned_quantity, 0)) * l.unit_cost) AS cost_local
    FROM lines AS l
    LEFT JOIN returned AS r USING (order_id, line_number)
    GROUP BY l.order_id
),
fx_raw AS (
    SELECT CAST(rate_date AS DATE) AS rate_date, currency, rate_to_reporting AS rate, _batch
    FROM @fx_rates@
),
fx AS (
    SELECT f.rate_date, f.currency, f.rate
    FROM fx_raw AS f
    ANTI JOIN (
        SELECT rate_date, currency, max(_batch) AS latest FROM fx_raw GROUP BY ALL HAVING count(*) > 1
    ) AS later ON f.rate_date = later.rate_date AND f.currency = later.currency AND f._batch < later.latest
    WHERE f.rate IS NOT NULL
),
completed AS (
    SELECT o.*
    FROM orders AS o
    WHERE o.status = 'completed' AND o.order_date <= (SELECT as_of FROM params) AND o.customer_id IS NOT NULL
),
rated AS (
    -- Only foreign-currency orders need the as-of join.
    SELECT order_id, customer_id, order_date, shipping_cost, 1.0 AS rate
    FROM completed
    WHERE currency = '@reporting_currency@'
    UNION ALL
    SELECT c.order_id, c.customer_id, c.order_date, c.shipping_cost, fx.rate
    FROM (SELECT * FROM completed WHERE currency <> '@reporting_currency@') AS c
    ASOF JOIN fx ON c.currency = fx.currency AND c.order_date >= fx.rate_date
),
counted AS MATERIALIZED (
    -- Counted orders: completed, dated by as_of, with a rate and at least one line.
    SELECT
        r.order_id,
        r.customer_id,
        r.order_date,
        p.net_local * r.rate AS net_revenue,
        p.net_local * r.rate - p.cost_local * r.rate
            - (@cost_to_serve_per_order@ + coalesce(r.shipping_cost, 0) * r.rate) AS gross_profit,
        r.order_date > params.as_of - @window_days@ AS in_window
    FROM rated AS r
    JOIN per_order AS p USING (order_id)
    CROSS JOIN params
    WHERE r.rate IS NOT NULL
),
customers_raw AS (
    SELECT customer_id, CAST(created_at AS DATE) AS created_on, referred_by_customer_id, _batch
    FROM @customers@
),
crm AS (
    SELECT c.customer_id, c.referred_by_customer_id
    FROM customers_raw AS c
    ANTI JOIN (
        SELECT customer_id, max(_batch) AS latest FROM customers_raw GROUP BY ALL HAVING count(*) > 1
    ) AS later ON c.customer_id = later.customer_id AND c._batch < later.latest
    WHERE c.customer_id IS NOT NULL AND c.created_on <= (SELECT as_of FROM params)
),
interactions_raw AS (
    SELECT interaction_id, customer_id, CAST(occurred_at AS DATE) AS occurred_on, interaction_type, _batch
    FROM @interactions@
),
contacts AS (
    SELECT
        i.customer_id,
        count(*) AS interactions_window,
        count(*) FILTER (WHERE i.interaction_type = 'complaint') AS complaints_window
    FROM interactions_raw AS i
    ANTI JOIN (
        SELECT interaction_id, max(_batch) AS latest FROM interactions_raw GROUP BY ALL HAVING count(*) > 1
    ) AS later ON i.interaction_id = later.interaction_id AND i._batch < later.latest
    CROSS JOIN params
    WHERE i.occurred_on > params.as_of - @window_days@ AND i.occurred_on <= params.as_of
    GROUP BY ALL
),
ids AS (
    SELECT customer_id FROM crm
    UNION
    SELECT customer_id FROM counted
),
facts AS (
    SELECT
        customer_id,
        min(order_date) AS first_order_date,
        max(order_date) AS last_order_date,
        count(*) AS orders_lifetime,
        count(*) FILTER (WHERE in_window) AS orders_window,
        round(sum(net_revenue), 6) AS net_revenue_lifetime,
        round(coalesce(sum(net_revenue) FILTER (WHERE in_window), 0), 6) AS net_revenue_window,
        round(sum(gross_profit), 6) AS gross_profit_lifetime,
        round(coalesce(sum(gross_profit) FILTER (WHERE in_window), 0), 6) AS gross_profit_window
    FROM counted
    GROUP BY customer_id
),
gaps AS (
    SELECT customer_id, order_date - lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS gap
    FROM (SELECT DISTINCT customer_id, order_date FROM counted)
),
gap_facts AS (
    SELECT customer_id, count(*) AS distinct_order_dates, quantile_cont(gap, 0.5) AS typical_gap_days
    FROM gaps
    GROUP BY customer_id
),
pooled AS (
    SELECT
        quantile_cont(gap, @one_time_at_risk_percentile@) AS g50,
        quantile_cont(gap, @one_time_churn_percentile@) AS g90
    FROM gaps
),
referrals AS (
    SELECT referred_by_customer_id AS customer_id, count(*) AS referrals_made
    FROM crm
    WHERE referred_by_customer_id IS NOT NULL
    GROUP BY ALL
),
base AS (
    SELECT
        ids.customer_id,
        crm.customer_id IS NOT NULL AS in_crm,
        params.as_of AS as_of_date,
        f.first_order_date,
        f.last_order_date,
        params.as_of - f.first_order_date AS tenure_days,
        params.as_of - f.last_order_date AS recency_days,
        coalesce(f.orders_lifetime, 0) AS orders_lifetime,
        coalesce(f.orders_window, 0) AS orders_window,
        coalesce(f.net_revenue_lifetime, 0) AS net_revenue_lifetime,
        coalesce(f.net_revenue_window, 0) AS net_revenue_window,
        coalesce(f.gross_profit_lifetime, 0) AS gross_profit_lifetime,
        coalesce(f.gross_profit_window, 0) AS gross_profit_window,
        round(f.net_revenue_lifetime / nullif(f.orders_lifetime, 0), 6) AS avg_order_value_lifetime,
        round(f.net_revenue_window / nullif(f.orders_window, 0), 6) AS avg_order_value_window,
        coalesce(g.distinct_order_dates, 0) AS distinct_order_dates,
        g.typical_gap_days,
        coalesce(rf.referrals_made, 0) AS referrals_made,
        coalesce(ct.interactions_window, 0) AS interactions_window,
        coalesce(ct.complaints_window, 0) AS complaints_window
    FROM ids
    CROSS JOIN params
    LEFT JOIN crm USING (customer_id)
    LEFT JOIN facts AS f USING (customer_id)
    LEFT JOIN gap_facts AS g USING (customer_id)
    LEFT JOIN referrals AS rf USING (customer_id)
    LEFT JOIN contacts AS ct USING (customer_id)
),
tiers AS (
    SELECT
        customer_id,
        CASE
            WHEN round(share_before, 12) < @tier_a_cut@ THEN 'A'
            WHEN round(share_before, 12) < @tier_b_cut@ THEN 'B'
            ELSE 'C'
        END AS pareto_tier
    FROM (
        SELECT
            customer_id,
            (sum(net_revenue_window) OVER (ORDER BY net_revenue_window DESC, customer_id ROWS UNBOUNDED PRECEDING)
                - net_revenue_window) / sum(net_revenue_window) OVER () AS share_before
        FROM base
        WHERE net_revenue_window > 0
    )
),
bands AS (
    SELECT
        customer_id,
        CASE
            WHEN position < @profit_top_cut@ THEN 'top_20'
            WHEN position >= @profit_bottom_cut@ THEN 'bottom_20'
            ELSE 'middle_60'
        END AS profit_band
    FROM (
        SELECT
            customer_id,
            (row_number() OVER (ORDER BY gross_profit_window DESC, customer_id) - 1) / count(*) OVER () AS position
        FROM base
        WHERE orders_window > 0
    )
),
thresholds AS (
    SELECT
        b.*,
        coalesce(t.pareto_tier, 'D') AS pareto_tier,
        coalesce(bd.profit_band, 'none') AS profit_band,
        CASE WHEN b.orders_lifetime = 0 THEN NULL
            WHEN b.distinct_order_dates >= 2
                THEN greatest(@at_risk_gap_multiplier@ * b.typical_gap_days, @min_at_risk_days@)
            ELSE greatest(coalesce(pooled.g50, @min_at_risk_days@), @min_at_risk_days@)
        END::DOUBLE AS at_risk_threshold_days,
        CASE WHEN b.orders_lifetime = 0 THEN NULL
            WHEN b.distinct_order_dates >= 2
                THEN greatest(@churn_gap_multiplier@ * b.typical_gap_days, @min_churn_days@)
            ELSE greatest(coalesce(pooled.g90, @min_churn_days@), @min_churn_days@)
        END::DOUBLE AS churn_threshold_days
    FROM base AS b
    CROSS JOIN pooled
    LEFT JOIN tiers AS t USING (customer_id)
    LEFT JOIN bands AS bd USING (customer_id)
)
SELECT
    customer_id, in_crm, as_of_date, first_order_date, last_order_date, tenure_days, recency_days,
    orders_lifetime, orders_window, net_revenue_lifetime, net_revenue_window, gross_profit_lifetime,
    gross_profit_window, avg_order_value_lifetime, avg_order_value_window, distinct_order_dates,
    typical_gap_days, referrals_made, interactions_window, complaints_window, pareto_tier, profit_band,
    gross_profit_window < 0 AS is_loss_making,
    CASE
        WHEN orders_lifetime = 0 THEN 'prospect'
        WHEN orders_window = 0 THEN 'inactive'
        WHEN first_order_date <= as_of_date - @old_customer_min_days@
            THEN CASE WHEN pareto_tier = 'A' THEN 'old_big' ELSE 'old_small' END
        ELSE CASE WHEN pareto_tier = 'A' THEN 'new_big' ELSE 'new_small' END
    END AS quadrant,
    at_risk_threshold_days,
    churn_threshold_days,
    CASE
        WHEN orders_lifetime = 0 THEN 'prospect'
        WHEN recency_days > churn_threshold_days THEN 'churned'
        WHEN recency_days > at_risk_threshold_days THEN 'at_risk'
        ELSE 'active'
    END AS churn_status,
    CASE WHEN recency_days > churn_threshold_days
        THEN last_order_date + CAST(floor(churn_threshold_days) + 1 AS INTEGER)
    END AS churned_on
FROM thresholds
ORDER BY customer_id;

CREATE OR REPLACE TEMP TABLE pareto_summary AS
WITH
revenue AS (
    SELECT
        count(*) AS n,
        ceil(round(@pareto_top_share@ * count(*), 9))::BIGINT AS k,
        sum(v) AS total,
        sum(v) FILTER (WHERE rn <= ceil(round(@pareto_top_share@ * n_all, 9))) AS top
    FROM (
        SELECT
            net_revenue_window AS v,
            row_number() OVER (ORDER BY net_revenue_window DESC, customer_id) AS rn,
            count(*) OVER () AS n_all
        FROM customer_value
        WHERE net_revenue_window > 0
    )
),
profit AS (
    SELECT
        count(*) AS n,
        ceil(round(@pareto_top_share@ * count(*), 9))::BIGINT AS k,
        sum(v) FILTER (WHERE rn <= ceil(round(@pareto_top_share@ * n_all, 9))) / sum(v) AS share
    FROM (
        SELECT
            gross_profit_window AS v,
            row_number() OVER (ORDER BY gross_profit_window DESC, customer_id) AS rn,
            count(*) OVER () AS n_all
        FROM customer_value
        WHERE gross_profit_window > 0
    )
),
tiers AS (
    SELECT
        count(*) AS customers,
        count(*) FILTER (WHERE pareto_tier = 'A') AS tier_a_customers,
        count(*) FILTER (WHERE pareto_tier = 'B') AS tier_b_customers,
        count(*) FILTER (WHERE pareto_tier = 'C') AS tier_c_customers,
        count(*) FILTER (WHERE pareto_tier = 'D') AS tier_d_customers,
        sum(net_revenue_window) FILTER (WHERE pareto_tier = 'A') AS tier_a_revenue,
        sum(net_revenue_window) FILTER (WHERE pareto_tier = 'B') AS tier_b_revenue,
        sum(net_revenue_window) FILTER (WHERE pareto_tier = 'C') AS tier_c_revenue
    FROM customer_value
)
SELECT
    (SELECT max(as_of_date) FROM customer_value) AS as_of_date,
    tiers.customers,
    revenue.n AS ranked_customers,
    revenue.k AS top_customers,
    revenue.top / revenue.total AS top_customers_revenue_share,
    profit.n AS profit_ranked_customers,
    profit.k AS top_profit_customers,
    profit.share AS top_customers_profit_share,
    tier_a_customers, tier_b_customers, tier_c_customers, tier_d_customers,
    coalesce(tier_a_revenue, 0) / revenue.total AS tier_a_revenue_share,
    coalesce(tier_b_revenue, 0) / revenue.total AS tier_b_revenue_share,
    coalesce(tier_c_revenue, 0) / revenue.total AS tier_c_revenue_share
FROM tiers, revenue, profit;
