"""Reference implementation of SPEC sections 4, 7.1 and 7.2 (customer_value, pareto_summary)
in pure pandas.

Written from the text of SPEC sections 3, 4 and 7 alone, without the project's dbt models,
so that it can catch their mistakes; it is also the "pandas" contender of the benchmark.
No DuckDB and no SQL: the landed CSV files are read with `pandas.read_csv` (pyarrow
engine), Parquet files with `pandas.read_parquet`, and every rule is a vectorised
groupby / merge / sort (no per-row Python loop).

    compute(landing_dir, as_of_date=None, **settings) -> {"customer_value": ..., "pareto_summary": ...}

Settings (keyword arguments, defaults in `DEFAULTS`): reporting_currency "CNY",
window_days 365, cost_to_serve_per_order 20, tier_a_cut 0.80, tier_b_cut 0.95,
profit_top_cut 0.2, profit_bottom_cut 0.8, pareto_top_share 0.2 (the "20" of the
observed x/20), old_customer_min_days 365, at_risk_gap_multiplier 2,
churn_gap_multiplier 3, min_at_risk_days 60, min_churn_days 90,
one_time_at_risk_percentile 0.5, one_time_churn_percentile 0.9, churn_signal_days 180,
order_decline_days 365, returns_signal_share 0.2, discount_signal_share 0.3,
no_contact_days 90, loyal_min_active_months 4.

Input (SPEC section 3)
----------------------
* A table's batches are the files `<landing>/<source>/<table>/*.csv|*.parquet`
  (suffix case-insensitive; hidden files such as `.x.csv.partial` ignored), ordered by
  file name. All batches are stacked in that order and, per key, the row of the latest
  batch wins (orders: order_id; order_lines: order_id + line_number; returns:
  return_id; fx_rates: rate_date + currency; customers: customer_id; interactions:
  interaction_id).
* The baseline assumes clean input: it applies none of the quarantine rules of SPEC 3
  (a key duplicated inside one batch simply resolves to its last row).

Interpretation choices (where SPEC is silent)
---------------------------------------------
* as_of_date default: the latest date (date part of ordered_at) of a `completed`
  order in the latest-batch orders table, whether or not the order has lines or a rate.
* An order *counts* (anywhere) only if it is `completed`, has a customer_id, is dated
  <= as_of_date, has an FX rate (the latest rate with rate_date <= the order date; the
  reporting currency has rate 1 without a row) and has at least one landed order line.
  An order without landed lines does not count (it is an orphan until they land).
* A return counts only if the date part of returned_at <= as_of_date and its
  (order_id, line_number) is a line of a counted order. Its refund_amount is in the
  order's currency and is converted with the order's rate; the returned quantity takes
  its unit_cost out of the cost of goods.
* Gross profit of an order = net revenue of its lines - (quantity - returned quantity)
  x unit_cost x rate, summed - cost_to_serve_per_order - shipping_cost x rate (an empty
  shipping_cost is 0).
* Customers: CRM customers (latest batch) whose created_at date <= as_of_date, plus
  every customer_id with a counted order (CRM knows it or not). Sorted by customer_id.
* tenure_days = as_of_date - first order date; recency_days = as_of_date - last order
  date; both empty for prospects. orders_* are counts of counted orders; money of a
  customer with no counted order (in the window / at all) is 0, not empty.
  Money is in the reporting currency, rounded to 6 decimals per customer (so that equal
  decimal amounts tie exactly in the rankings).
* avg_order_value_{lifetime,window} = net revenue / orders (empty without orders).
* typical_gap_days = median (linear interpolation) of the gaps in days between the
  customer's consecutive distinct counted-order dates; empty with fewer than 2 dates.
* referrals_made = customers in the customer set whose referred_by_customer_id is this
  one; interactions_window / complaints_window = the customer's CRM interactions (all
  types / interaction_type `complaint`) dated in the window.
* pareto_tier, profit_band exactly as SPEC 4; a share is compared with a cut after
  rounding it to 12 decimals, so that a share of exactly 0.80 in decimal arithmetic is
  0.80 here too (tier B at an exact 80 % cut).
* quadrant: `prospect` = no counted order; `inactive` = counted orders but none in the
  window; otherwise old when first order date <= as_of_date - old_customer_min_days,
  big when pareto_tier = A.
* churn: a customer with >= 2 distinct order dates uses max(multiplier x typical gap,
  floor); anyone with orders on one distinct date only is a one-time buyer and uses
  max(G50, min_at_risk_days) / max(G90, min_churn_days), G50/G90 the linear-interpolation
  percentiles of all customers' gaps pooled (floors alone when there is no gap).
  churn_status `prospect` for customers without counted orders; `churned` when
  recency > churn threshold, else `at_risk` when recency > at-risk threshold, else
  `active`. churned_on = last order date + (floor(churn threshold) + 1) days, only when
  churned.
* pareto_summary: customers = rows of customer_value; ranked_customers = n with positive
  window net revenue; top_customers = ceil(pareto_top_share x n) (the product rounded to
  9 decimals first, so 0.2 x 15 is 3); top_customers_revenue_share = their share of the
  positive total (empty when n = 0); the profit_* columns the same over customers with
  positive window gross profit ranked by it (ties by customer_id); tier_{a..d}_customers
  and tier_{a..d}_revenue_share (of the positive total).

Churn signals, contact, referrals and traits (SPEC 7.1, 7.2)
------------------------------------------------------------
* Interactions count when the date part of occurred_at <= as_of_date; the window
  counts (contacts, feedback, gifts, referral interactions by interaction_type; events
  by channel `event`) are 0 for a customer without any, like interactions_window.
* last_contact_date = the latest such interaction of any type, days_since_last_contact
  = as_of_date - it; both empty without one (prospects included).
* The six signals are empty for customers without a counted order, true or false for
  all others:
  - complaints: a complaint dated after last order date - churn_signal_days (the
    window up to the last order and anything after it, up to as_of_date);
  - returns / discount_dependent: sums over the customer's counted orders of refunds,
    quantity x unit_price - discount_amount, discount_amount and quantity x unit_price,
    each converted at its order's rate and rounded to 6 decimals per customer; a share
    is reached when part - share x whole, rounded to 9 decimals, is >= 0 (and whole is
    not 0);
  - order_decline: counted orders (not days) dated within order_decline_days before
    the last order date (0 .. 364 days before it) and the period before that (365 ..
    729 days before it);
  - no_contact: no interaction, or days_since_last_contact > no_contact_days;
  - one_time: distinct_order_dates = 1.
* churn_reason (key, no label): for churn_status at_risk and churned only, the first
  true signal in the order complaints, returns, order_decline, discount_dependent,
  no_contact, one_time, else `unexplained`.
* referred_by_customer_id and crm_group: the latest CRM row (empty when CRM does not
  know the customer). referred_customers_active / referred_revenue_window: over the
  customers of the customer set that name this one as referrer, how many have a window
  order, and the sum of their window net revenue (0 when none).
* active_months_window: distinct calendar months of the customer's window orders.
* The traits are true or false for every customer (a prospect has none of them):
  high_value = tier A; loyal = distinct_order_dates >= 3, tenure_days >=
  old_customer_min_days and active_months_window >= loyal_min_active_months; advocate
  = referrals_made >= 1 or referral_interactions_window >= 1; retained = churn_status
  active. core_traits counts them; is_core_customer = high_value and retained and
  (loyal or advocate).
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.core.landing import landed_files as layout_landed_files

DEFAULTS: dict[str, object] = {
    "reporting_currency": "CNY",
    "window_days": 365,
    "cost_to_serve_per_order": 20.0,
    "tier_a_cut": 0.80,
    "tier_b_cut": 0.95,
    "profit_top_cut": 0.2,
    "profit_bottom_cut": 0.8,
    "pareto_top_share": 0.2,
    "old_customer_min_days": 365,
    "at_risk_gap_multiplier": 2.0,
    "churn_gap_multiplier": 3.0,
    "min_at_risk_days": 60,
    "min_churn_days": 90,
    "one_time_at_risk_percentile": 0.5,
    "one_time_churn_percentile": 0.9,
    "churn_signal_days": 180,
    "order_decline_days": 365,
    "returns_signal_share": 0.2,
    "discount_signal_share": 0.3,
    "no_contact_days": 90,
    "loyal_min_active_months": 4,
}

STR, NUM, INT, TS = "str", "float64", "int64", "timestamp"

# The columns each rule needs, by kind; the key of each table for "latest batch wins".
TABLES: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {
    "orders": (
        "sales",
        ("order_id",),
        {"order_id": STR, "customer_id": STR, "ordered_at": TS, "currency": STR, "status": STR, "shipping_cost": NUM},
    ),
    "order_lines": (
        "sales",
        ("order_id", "line_number"),
        {
            "order_id": STR,
            "line_number": INT,
            "quantity": NUM,
            "unit_price": NUM,
            "discount_amount": NUM,
            "unit_cost": NUM,
        },
    ),
    "returns": (
        "sales",
        ("return_id",),
        {
            "return_id": STR,
            "order_id": STR,
            "line_number": INT,
            "returned_at": TS,
            "quantity": NUM,
            "refund_amount": NUM,
        },
    ),
    "fx_rates": ("sales", ("rate_date", "currency"), {"rate_date": TS, "currency": STR, "rate_to_reporting": NUM}),
    "customers": (
        "crm",
        ("customer_id",),
        {"customer_id": STR, "created_at": TS, "referred_by_customer_id": STR, "crm_group": STR},
    ),
    "interactions": (
        "crm",
        ("interaction_id",),
        {"interaction_id": STR, "customer_id": STR, "occurred_at": TS, "channel": STR, "interaction_type": STR},
    ),
}

MONEY_DECIMALS = 6
SHARE_DECIMALS = 12

SIGNALS = (
    "signal_complaints",
    "signal_returns",
    "signal_order_decline",
    "signal_discount_dependent",
    "signal_no_contact",
    "signal_one_time",
)
# The reason of an at-risk or churned customer is its first true signal, in this order.
REASONS = tuple(name.removeprefix("signal_") for name in SIGNALS)
TRAITS = ("trait_high_value", "trait_loyal", "trait_advocate", "trait_retained")


# --------------------------------------------------------------------------- input


def landed_files(landing_dir: Path, source: str, table: str) -> list[Path]:
    """The landed batches of a table in batch order: the layout is the project's
    contract, not a business rule, so the project's own listing is reused."""
    return layout_landed_files(Path(landing_dir), source, table)


def _read_file(path: Path, kinds: dict[str, str]) -> pd.DataFrame:
    columns = list(kinds)
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path, columns=columns)
    dtype = {c: ("str" if k in (STR, TS) else k) for c, k in kinds.items() if k != INT}
    return pd.read_csv(
        path,
        engine="pyarrow",
        usecols=columns,
        dtype=dtype,
        encoding="utf-8-sig",
        keep_default_na=False,
        na_values=[""],
    )


def _cast(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    out = {}
    for column, kind in kinds.items():
        values = frame[column]
        if kind == STR:
            if values.dtype != "str":
                values = values.astype("str")
                values = values.where(values.str.len() > 0)  # empty text is missing
        elif kind == NUM:
            values = pd.to_numeric(values).astype("float64")
        elif kind == INT:
            values = pd.to_numeric(values).astype("int64")
        else:
            if not pd.api.types.is_datetime64_any_dtype(values):
                values = pd.to_datetime(values, format="ISO8601")
            if getattr(values.dt, "tz", None) is not None:
                values = values.dt.tz_localize(None)
            values = values.dt.floor("D").astype("datetime64[s]")  # the date part
        out[column] = values
    return pd.DataFrame(out)


def read_table(landing_dir: Path, name: str) -> pd.DataFrame:
    """The table's latest-batch rows: batches stacked by file name, last one per key."""
    source, key, kinds = TABLES[name]
    files = landed_files(landing_dir, source, name)
    parts = [_cast(_read_file(p, kinds), kinds) for p in files]
    if not parts:
        return _cast(pd.DataFrame({c: pd.Series([], dtype="str") for c in kinds}), kinds)
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if len(parts) > 1:
        frame = frame.drop_duplicates(subset=list(key), keep="last", ignore_index=True)
    return frame


# --------------------------------------------------------------------------- rules


def _settings(overrides: dict) -> dict:
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    return {**DEFAULTS, **overrides}


def _ceil_share(share: float, n: int) -> int:
    return math.ceil(round(share * n, 9))


def counted_orders(t: dict[str, pd.DataFrame], as_of: pd.Timestamp, s: dict) -> pd.DataFrame:
    """Counted orders with their rate, net revenue and gross profit (reporting currency)."""
    orders = t["orders"]
    lines = t["order_lines"]
    o = orders.loc[
        (orders["status"] == "completed") & (orders["ordered_at"] <= as_of) & orders["customer_id"].notna(),
        ["order_id", "customer_id", "ordered_at", "currency", "shipping_cost"],
    ].rename(columns={"ordered_at": "order_date"})

    reporting = o["currency"] == s["reporting_currency"]
    home = o.loc[reporting].assign(rate=1.0)
    foreign = o.loc[~reporting].sort_values("order_date", kind="stable")
    fx = t["fx_rates"].rename(columns={"rate_date": "order_date", "rate_to_reporting": "rate"})
    fx = fx.loc[fx["rate"].notna()].sort_values("order_date", kind="stable")
    foreign = pd.merge_asof(foreign, fx, on="order_date", by="currency", direction="backward")
    o = pd.concat([home, foreign.loc[foreign["rate"].notna()]], ignore_index=True)

    line = lines.merge(o[["order_id"]], on="order_id", how="inner")
    r = t["returns"]
    r = r.loc[r["returned_at"] <= as_of]
    returned = r.groupby(["order_id", "line_number"], sort=False, as_index=False).agg(
        returned_quantity=("quantity", "sum"), refund=("refund_amount", "sum")
    )
    line = line.merge(returned, on=["order_id", "line_number"], how="left")
    refund = line["refund"].fillna(0.0)
    returned_quantity = line["returned_quantity"].fillna(0.0)
    line["list_local"] = line["quantity"] * line["unit_price"]
    line["refund_local"] = refund
    line["net_local"] = line["list_local"] - line["discount_amount"] - refund
    line["cost_local"] = (line["quantity"] - returned_quantity) * line["unit_cost"]
    amounts = ["net_local", "cost_local", "list_local", "discount_amount", "refund_local"]
    per_order = line.groupby("order_id", sort=False)[amounts].sum()

    o = o.merge(per_order, left_on="order_id", right_index=True, how="inner")  # no lines: not counted
    o["net_revenue"] = o["net_local"] * o["rate"]
    o["gross_profit"] = (
        o["net_revenue"]
        - o["cost_local"] * o["rate"]
        - (s["cost_to_serve_per_order"] + o["shipping_cost"].fillna(0.0) * o["rate"])
    )
    o["in_window"] = o["order_date"] > as_of - pd.Timedelta(days=s["window_days"])
    # For the churn signals: list value, discount and refunds, converted at the order's rate.
    o["list_amount"] = o["list_local"] * o["rate"]
    o["discount"] = o["discount_amount"] * o["rate"]
    o["refund"] = o["refund_local"] * o["rate"]
    columns = ["order_id", "customer_id", "order_date", "rate", "net_revenue", "gross_profit", "in_window"]
    return o[[*columns, "list_amount", "discount", "refund"]]


def _tiers(cv: pd.DataFrame, s: dict) -> tuple[pd.Series, pd.DataFrame]:
    ranked = cv.loc[cv["net_revenue_window"] > 0, ["customer_id", "net_revenue_window"]].sort_values(
        ["net_revenue_window", "customer_id"], ascending=[False, True], kind="stable"
    )
    revenue = ranked["net_revenue_window"].to_numpy()
    total = revenue.sum()
    share_before = np.round((np.cumsum(revenue) - revenue) / total, SHARE_DECIMALS) if len(revenue) else revenue
    tier = np.where(share_before < s["tier_a_cut"], "A", np.where(share_before < s["tier_b_cut"], "B", "C"))
    return pd.Series(tier, index=ranked.index), ranked


def _profit_bands(cv: pd.DataFrame, s: dict) -> pd.Series:
    active = cv.loc[cv["orders_window"] > 0, ["customer_id", "gross_profit_window"]].sort_values(
        ["gross_profit_window", "customer_id"], ascending=[False, True], kind="stable"
    )
    n = len(active)
    position = np.arange(n) / n if n else np.zeros(0)
    band = np.where(
        position < s["profit_top_cut"], "top_20", np.where(position >= s["profit_bottom_cut"], "bottom_20", "middle_60")
    )
    return pd.Series(band, index=active.index)


def _top_share(values: np.ndarray, share: float) -> tuple[int, int, float | None]:
    """n, the top ceil(share n) and their share of the total; values sorted desc."""
    n = len(values)
    if n == 0:
        return 0, 0, None
    k = _ceil_share(share, n)
    return n, k, float(values[:k].sum() / values.sum())


def _share_reached(part: pd.Series, whole: pd.Series, share: float) -> pd.Series:
    """part >= share x whole, false where whole is 0; compared after rounding, so that a
    share reached exactly in decimal arithmetic is reached here too."""
    return (whole != 0) & ((part - share * whole).round(SHARE_DECIMALS - 3) >= 0)


def _churn_signals(cv: pd.DataFrame, o: pd.DataFrame, interactions: pd.DataFrame, s: dict) -> pd.DataFrame:
    """SPEC 7.1: the six signals (empty without orders) and the reason of at-risk and churned customers."""
    last = cv.set_index("customer_id")["last_order_date"]

    complaint = interactions.loc[interactions["interaction_type"] == "complaint", ["customer_id", "occurred_at"]]
    complaint_last = complaint["customer_id"].map(last)
    # last - 180 < d <= last, or after the last order: together, d > last - 180 (d <= as_of already).
    recent = complaint.loc[complaint["occurred_at"] > complaint_last - pd.Timedelta(days=s["churn_signal_days"])]
    complained = cv["customer_id"].isin(recent["customer_id"])

    lifetime = o.groupby("customer_id")[["list_amount", "discount", "refund"]].sum().round(MONEY_DECIMALS)
    lifetime = lifetime.reindex(cv["customer_id"]).fillna(0.0).set_index(cv.index)
    net_before_refunds = (lifetime["list_amount"] - lifetime["discount"]).round(MONEY_DECIMALS)
    returns = _share_reached(lifetime["refund"], net_before_refunds, s["returns_signal_share"])
    discount = _share_reached(lifetime["discount"], lifetime["list_amount"], s["discount_signal_share"])

    # Orders one by one, by how many days they lie before the customer's last order.
    before_last = (o["customer_id"].map(last) - o["order_date"]).dt.days
    period = s["order_decline_days"]
    recent_orders = o.loc[before_last < period].groupby("customer_id").size()
    earlier_orders = o.loc[(before_last >= period) & (before_last < 2 * period)].groupby("customer_id").size()
    recent_n = cv["customer_id"].map(recent_orders).fillna(0)
    earlier_n = cv["customer_id"].map(earlier_orders).fillna(0)
    decline = (earlier_n >= 2) & (recent_n < earlier_n / 2)

    days_silent = cv["days_since_last_contact"]
    no_contact = days_silent.isna() | (days_silent > s["no_contact_days"]).fillna(True)
    one_time = cv["distinct_order_dates"] == 1

    has_orders = cv["orders_lifetime"] > 0
    signals = (complained, returns, decline, discount, no_contact, one_time)
    for name, values in zip(SIGNALS, signals, strict=True):
        cv[name] = values.astype("boolean").where(has_orders)
    reason = np.select([cv[name].fillna(False).to_numpy() for name in SIGNALS], REASONS, "unexplained")
    lapsed = cv["churn_status"].isin(["at_risk", "churned"])
    cv["churn_reason"] = pd.Series(reason, index=cv.index).where(lapsed).astype("str")
    return cv


def _core_traits(cv: pd.DataFrame, o: pd.DataFrame, s: dict) -> pd.DataFrame:
    """SPEC 7.2: referrals, active months, the four traits and the core customer."""
    referred = cv.loc[cv["referred_by_customer_id"].notna()]
    by_referrer = referred.groupby("referred_by_customer_id")
    active = (referred["orders_window"] > 0).groupby(referred["referred_by_customer_id"]).sum()
    cv["referred_customers_active"] = cv["customer_id"].map(active).fillna(0).astype("int64")
    revenue = by_referrer["net_revenue_window"].sum()
    cv["referred_revenue_window"] = cv["customer_id"].map(revenue).fillna(0.0).round(MONEY_DECIMALS)

    window = o.loc[o["in_window"]]
    months = window.assign(month=window["order_date"].dt.to_period("M")).groupby("customer_id")["month"].nunique()
    cv["active_months_window"] = cv["customer_id"].map(months).fillna(0).astype("int64")

    cv["trait_high_value"] = cv["pareto_tier"] == "A"
    cv["trait_loyal"] = (
        (cv["distinct_order_dates"] >= 3)
        & (cv["tenure_days"] >= s["old_customer_min_days"]).fillna(False).astype(bool)
        & (cv["active_months_window"] >= s["loyal_min_active_months"])
    )
    cv["trait_advocate"] = (cv["referrals_made"] >= 1) | (cv["referral_interactions_window"] >= 1)
    cv["trait_retained"] = cv["churn_status"] == "active"
    cv["core_traits"] = cv[list(TRAITS)].sum(axis=1).astype("int64")
    cv["is_core_customer"] = cv["trait_high_value"] & cv["trait_retained"] & (cv["trait_loyal"] | cv["trait_advocate"])
    return cv


def compute(landing_dir: Path, as_of_date: date | None = None, **settings) -> dict[str, pd.DataFrame]:
    s = _settings(settings)
    landing_dir = Path(landing_dir)
    t = {name: read_table(landing_dir, name) for name in TABLES}

    completed = t["orders"].loc[t["orders"]["status"] == "completed", "ordered_at"]
    if as_of_date is not None:
        as_of = pd.Timestamp(as_of_date)
    elif completed.notna().any():
        as_of = completed.max()
    else:
        raise ValueError(f"no completed order in {landing_dir} and no as_of_date given")
    window_start = as_of - pd.Timedelta(days=s["window_days"])  # exclusive

    o = counted_orders(t, as_of, s)

    # ---- the customer set
    crm = t["customers"]
    crm = crm.loc[crm["customer_id"].notna() & (crm["created_at"] <= as_of)]
    ids = pd.Index(pd.concat([crm["customer_id"], o["customer_id"]]).unique()).sort_values()
    cv = pd.DataFrame({"customer_id": ids.astype("str")})
    cv = cv.merge(crm[["customer_id"]].assign(in_crm=True), on="customer_id", how="left")
    cv["in_crm"] = cv["in_crm"].fillna(False).astype("bool")

    # ---- order facts
    life = o.groupby("customer_id").agg(
        first_order_date=("order_date", "min"),
        last_order_date=("order_date", "max"),
        orders_lifetime=("order_id", "size"),
        net_revenue_lifetime=("net_revenue", "sum"),
        gross_profit_lifetime=("gross_profit", "sum"),
    )
    window = (
        o.loc[o["in_window"]]
        .groupby("customer_id")
        .agg(
            orders_window=("order_id", "size"),
            net_revenue_window=("net_revenue", "sum"),
            gross_profit_window=("gross_profit", "sum"),
        )
    )
    dates = o[["customer_id", "order_date"]].drop_duplicates().sort_values(["customer_id", "order_date"])
    dates["gap"] = (dates["order_date"] - dates.groupby("customer_id")["order_date"].shift()).dt.days
    gaps = dates.loc[dates["gap"].notna()]
    per_customer = pd.DataFrame(
        {
            "distinct_order_dates": dates.groupby("customer_id").size(),
            "typical_gap_days": gaps.groupby("customer_id")["gap"].median(),
        }
    )
    cv = cv.merge(life, left_on="customer_id", right_index=True, how="left")
    cv = cv.merge(window, left_on="customer_id", right_index=True, how="left")
    cv = cv.merge(per_customer, left_on="customer_id", right_index=True, how="left")
    for column in ("orders_lifetime", "orders_window", "distinct_order_dates"):
        cv[column] = cv[column].fillna(0).astype("int64")
    for column in ("net_revenue_lifetime", "gross_profit_lifetime", "net_revenue_window", "gross_profit_window"):
        cv[column] = cv[column].fillna(0.0).round(MONEY_DECIMALS)
    cv["typical_gap_days"] = cv["typical_gap_days"].astype("float64")
    cv["tenure_days"] = (as_of - cv["first_order_date"]).dt.days.astype("Int64")
    cv["recency_days"] = (as_of - cv["last_order_date"]).dt.days.astype("Int64")
    cv["avg_order_value_lifetime"] = (
        cv["net_revenue_lifetime"] / cv["orders_lifetime"].where(cv["orders_lifetime"] > 0)
    ).round(MONEY_DECIMALS)
    cv["avg_order_value_window"] = (
        cv["net_revenue_window"] / cv["orders_window"].where(cv["orders_window"] > 0)
    ).round(MONEY_DECIMALS)

    # ---- CRM facts
    referrals = crm.loc[crm["referred_by_customer_id"].notna()].groupby("referred_by_customer_id").size()
    cv["referrals_made"] = cv["customer_id"].map(referrals).fillna(0).astype("int64")
    interactions = t["interactions"]
    interactions = interactions.loc[interactions["occurred_at"] <= as_of]
    it = interactions.loc[interactions["occurred_at"] > window_start]

    def count_window(selected: pd.DataFrame) -> pd.Series:
        return cv["customer_id"].map(selected.groupby("customer_id").size()).fillna(0).astype("int64")

    cv["interactions_window"] = count_window(it)
    cv["complaints_window"] = count_window(it.loc[it["interaction_type"] == "complaint"])
    cv["contacts_window"] = count_window(it.loc[it["interaction_type"] == "contact"])
    cv["feedback_window"] = count_window(it.loc[it["interaction_type"] == "feedback"])
    cv["gifts_window"] = count_window(it.loc[it["interaction_type"] == "gift"])
    cv["events_window"] = count_window(it.loc[it["channel"] == "event"])
    cv["referral_interactions_window"] = count_window(it.loc[it["interaction_type"] == "referral"])
    last_contact = interactions.groupby("customer_id")["occurred_at"].max()
    cv["last_contact_date"] = last_contact.reindex(cv["customer_id"]).astype("datetime64[s]").to_numpy()
    cv["days_since_last_contact"] = (as_of - cv["last_contact_date"]).dt.days.astype("Int64")
    crm_row = crm.set_index("customer_id")
    cv["referred_by_customer_id"] = cv["customer_id"].map(crm_row["referred_by_customer_id"]).astype("str")
    cv["crm_group"] = cv["customer_id"].map(crm_row["crm_group"]).astype("str")

    # ---- pareto tier
    tier, ranked = _tiers(cv, s)
    cv["pareto_tier"] = tier.reindex(cv.index).fillna("D").astype("str")

    # ---- profit band
    cv["profit_band"] = _profit_bands(cv, s).reindex(cv.index).fillna("none").astype("str")
    cv["is_loss_making"] = cv["gross_profit_window"] < 0

    # ---- quadrant
    has_orders = cv["orders_lifetime"] > 0
    has_window = cv["orders_window"] > 0
    old = (cv["first_order_date"] <= as_of - pd.Timedelta(days=s["old_customer_min_days"])).to_numpy()
    big = (cv["pareto_tier"] == "A").to_numpy()
    cv["quadrant"] = np.select(
        [~has_orders.to_numpy(), ~has_window.to_numpy(), old & big, ~old & big, ~old & ~big],
        ["prospect", "inactive", "old_big", "new_big", "new_small"],
        "old_small",
    )
    cv["quadrant"] = cv["quadrant"].astype("str")

    # ---- churn
    all_gaps = gaps["gap"].to_numpy(dtype="float64")
    if len(all_gaps):
        g50, g90 = np.quantile(all_gaps, [s["one_time_at_risk_percentile"], s["one_time_churn_percentile"]])
    else:
        g50 = g90 = -np.inf
    repeat = (cv["distinct_order_dates"] >= 2).to_numpy()
    g = cv["typical_gap_days"].to_numpy(dtype="float64")
    at_risk_days = np.where(
        repeat,
        np.maximum(s["at_risk_gap_multiplier"] * np.nan_to_num(g), s["min_at_risk_days"]),
        max(g50, s["min_at_risk_days"]),
    )
    churn_days = np.where(
        repeat,
        np.maximum(s["churn_gap_multiplier"] * np.nan_to_num(g), s["min_churn_days"]),
        max(g90, s["min_churn_days"]),
    )
    recency = cv["recency_days"].to_numpy(dtype="float64", na_value=np.nan)
    churned = has_orders.to_numpy() & (recency > churn_days)
    at_risk = has_orders.to_numpy() & ~churned & (recency > at_risk_days)
    cv["at_risk_threshold_days"] = np.where(has_orders, at_risk_days, np.nan)
    cv["churn_threshold_days"] = np.where(has_orders, churn_days, np.nan)
    cv["churn_status"] = np.select(
        [~has_orders.to_numpy(), churned, at_risk], ["prospect", "churned", "at_risk"], "active"
    )
    cv["churn_status"] = cv["churn_status"].astype("str")
    offset = pd.to_timedelta(np.floor(np.where(churned, churn_days, 0.0)) + 1, unit="D")
    cv["churned_on"] = (cv["last_order_date"] + offset).where(churned).astype("datetime64[s]")
    cv["as_of_date"] = as_of

    cv = _churn_signals(cv, o, interactions, s)
    cv = _core_traits(cv, o, s)

    columns = [
        "customer_id", "in_crm", "as_of_date", "first_order_date", "last_order_date", "tenure_days", "recency_days",
        "orders_lifetime", "orders_window", "net_revenue_lifetime", "net_revenue_window", "gross_profit_lifetime",
        "gross_profit_window", "avg_order_value_lifetime", "avg_order_value_window", "distinct_order_dates",
        "typical_gap_days", "referrals_made", "interactions_window", "complaints_window", "pareto_tier",
        "profit_band", "is_loss_making", "quadrant", "at_risk_threshold_days", "churn_threshold_days",
        "churn_status", "churned_on",
        *SIGNALS, "churn_reason", "last_contact_date", "days_since_last_contact", "contacts_window",
        "feedback_window", "gifts_window", "events_window", "referral_interactions_window",
        "referred_by_customer_id", "referred_customers_active", "referred_revenue_window", "active_months_window",
        *TRAITS, "core_traits", "is_core_customer", "crm_group",
    ]  # fmt: skip
    cv = cv[columns].reset_index(drop=True)

    # ---- pareto summary
    n, k, revenue_share = _top_share(ranked["net_revenue_window"].to_numpy(), s["pareto_top_share"])
    profit = np.sort(cv.loc[cv["gross_profit_window"] > 0, "gross_profit_window"].to_numpy())[::-1]
    n_profit, k_profit, profit_share = _top_share(profit, s["pareto_top_share"])
    total = ranked["net_revenue_window"].sum()
    summary = {
        "as_of_date": as_of,
        "customers": len(cv),
        "ranked_customers": n,
        "top_customers": k,
        "top_customers_revenue_share": revenue_share,
        "profit_ranked_customers": n_profit,
        "top_profit_customers": k_profit,
        "top_customers_profit_share": profit_share,
    }
    for letter in "ABCD":
        in_tier = cv["pareto_tier"] == letter
        summary[f"tier_{letter.lower()}_customers"] = int(in_tier.sum())
    for letter in "ABC":
        in_tier = cv["pareto_tier"] == letter
        summary[f"tier_{letter.lower()}_revenue_share"] = (
            float(cv.loc[in_tier, "net_revenue_window"].sum() / total) if n else None
        )
    return {"customer_value": cv, "pareto_summary": pd.DataFrame([summary])}
