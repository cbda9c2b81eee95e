"""Customer card: every classification of one customer, and its month-end tier history."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pipelines.dashboard import charts, controls, i18n
from pipelines.dashboard.context import PageContext

REQUIRES = ("customer_value",)
PARAMS = ("customer",)
TRAITS = ("trait_high_value", "trait_loyal", "trait_advocate", "trait_retained")
SIGNALS = (
    "signal_complaints",
    "signal_returns",
    "signal_order_decline",
    "signal_discount_dependent",
    "signal_no_contact",
    "signal_one_time",
)
# Shown in this order; a column the release does not have is left out.
TEXT_FACTS = (
    "customer_type",
    "industry",
    "region",
    "city",
    "acquisition_channel",
    "channel",
    "account_manager",
    "membership_level",
    "crm_group",
)
DATE_FACTS = ("first_order_date", "last_order_date", "churned_on", "last_contact_date")
COUNT_FACTS = (
    "tenure_days",
    "recency_days",
    "typical_gap_days",
    "at_risk_after_days",
    "churn_after_days",
    "orders_lifetime",
    "orders_window",
    "days_since_last_contact",
    "interactions_window",
    "complaints_window",
    "referrals_made",
)
MONEY_FACTS = (
    "net_revenue_lifetime",
    "net_revenue_window",
    "gross_profit_window",
    "avg_order_value",
    "referred_revenue_window",
    "predicted_revenue_365d",
)
FACT_ORDER = (
    "first_order_date",
    "last_order_date",
    "tenure_days",
    "recency_days",
    "typical_gap_days",
    "at_risk_after_days",
    "churn_after_days",
    "churned_on",
    "orders_lifetime",
    "orders_window",
    "net_revenue_lifetime",
    "net_revenue_window",
    "revenue_share",
    "gross_profit_window",
    "avg_order_value",
    "predicted_revenue_365d",
    "last_contact_date",
    "days_since_last_contact",
    "interactions_window",
    "complaints_window",
    "referrals_made",
    "referred_revenue_window",
    *TEXT_FACTS,
)
TIERS = ("A", "B", "C", "D")


def customer_ids(page: PageContext) -> list[str]:
    """Every customer, the largest window revenue first (the list a manager searches)."""
    frame = page.data.sql("SELECT customer_id FROM customer_value ORDER BY net_revenue_window DESC, customer_id")
    return list(frame["customer_id"])


def card(page: PageContext, customer_id: str) -> pd.Series | None:
    frame = page.data.table("customer_value", where="customer_id = ?", params=[customer_id])
    return None if frame.empty else frame.iloc[0]


def history(page: PageContext, customer_id: str) -> pd.DataFrame:
    if not page.data.has("customer_tier_history"):
        return pd.DataFrame()
    return page.data.table(
        "customer_tier_history",
        [
            "month_end",
            "pareto_tier",
            "quadrant",
            "churn_status",
            "key_account_score",
            "is_key_account",
            "net_revenue_window",
        ],
        where="customer_id = ?",
        params=[customer_id],
        order_by="month_end",
    )


def render(page: PageContext) -> None:
    st.header(page.t("customer.title"))
    ids = customer_ids(page)
    if not ids:
        st.info(page.t("app.no_rows"))
        return
    chosen = controls.selectbox("customer", page.t("customer.pick"), ids, help=page.t("customer.pick_help"), width=320)
    row = card(page, chosen)
    if row is None:
        st.warning(page.t("customer.not_found", id=chosen))
        return
    name = row.get("customer_name")
    st.subheader(f"{row.customer_id} · {name}" if not i18n.is_missing(name) else str(row.customer_id))

    quadrants = page.code_labels("quadrant_summary", "quadrant")
    bands = page.code_labels("profit_band_summary", "profit_band")
    top = [*st.columns(3), *st.columns(3)]
    top[0].metric(page.t("customer.quadrant"), quadrants.get(row.quadrant, str(row.quadrant)))
    top[1].metric(page.t("customer.tier"), page.label("tier", row.pareto_tier))
    top[2].metric(page.t("customer.band"), bands.get(row.profit_band, str(row.profit_band)))
    top[3].metric(page.t("customer.churn_status"), page.label("churn.status", row.churn_status))
    top[4].metric(
        page.t("customer.key_score"),
        i18n.decimal(row.key_account_score),
        help=page.t("customer.key_score_help", answer=page.yes_no(row.get("is_key_account"))),
    )
    traits = [t for t in TRAITS if t in row.index and not i18n.is_missing(row[t]) and bool(row[t])]
    top[5].metric(
        page.t("customer.core"),
        page.yes_no(row.get("is_core_customer")),
        help=page.t(
            "customer.core_help",
            traits=len(traits),
            names=", ".join(page.t(f"trait.{t}") for t in traits) or page.t("none"),
        ),
    )

    left, right = st.columns(2, gap="large")
    with left:
        with st.container(border=True):
            st.markdown(f"**{page.t('customer.strategy')}**")
            st.write(row[f"quadrant_strategy_{page.lang}"])
        reason = row.get("churn_reason")
        if not i18n.is_missing(reason):
            with st.container(border=True):
                label = row.get(f"churn_reason_label_{page.lang}", reason)
                st.markdown(f"**{page.t('customer.reason', reason=label)}**")
                st.write(row.get(f"churn_reason_action_{page.lang}", ""))
        second = st.columns(2)
        if "rfm_segment" in row.index:
            second[0].metric(
                page.t("customer.rfm"),
                page.label("rfm", row.rfm_segment),
                help=page.t(
                    "customer.rfm_scores",
                    r=i18n.integer(row.get("r_score")),
                    f=i18n.integer(row.get("f_score")),
                    m=i18n.integer(row.get("m_score")),
                ),
            )
        if "p_alive" in row.index:
            second[1].metric(
                page.t("customer.p_alive"),
                i18n.percent(row.p_alive),
                help=page.t("customer.p_alive_help", orders=i18n.decimal(row.get("expected_orders_365d"), 2)),
            )
        signals = [s for s in SIGNALS if s in row.index]
        if signals:
            st.markdown(f"**{page.t('customer.signals')}**")
            charts.table(
                pd.DataFrame(
                    {"field": [page.t(f"signal.{s}") for s in signals], "value": [page.yes_no(row[s]) for s in signals]}
                ),
                {"field": (page.t("col.field"), "text"), "value": (page.t("col.value"), "text")},
                height="content",
            )
    with right:
        st.markdown(f"**{page.t('customer.facts')}**")
        charts.table(
            _facts(page, row),
            {"field": (page.t("col.field"), "text"), "value": (page.t("col.value"), "text")},
            height="content",
        )

    st.subheader(page.t("customer.history"))
    _history(page, history(page, chosen), quadrants)


def _facts(page: PageContext, row: pd.Series) -> pd.DataFrame:
    fields, values = [], []
    for column in FACT_ORDER:
        if column not in row.index:
            continue
        value = row[column]
        if column in MONEY_FACTS:
            text = i18n.money(value)
        elif column in COUNT_FACTS:
            text = i18n.integer(value)
        elif column == "revenue_share":
            text = i18n.percent(value, 2)
        elif column in DATE_FACTS:
            text = "–" if i18n.is_missing(value) else str(value)[:10]
        else:
            text = "–" if i18n.is_missing(value) else str(value)
        fields.append(page.t(f"fact.{column}"))
        values.append(text)
    return pd.DataFrame({"field": fields, "value": values})


def _history(page: PageContext, frame: pd.DataFrame, quadrants: dict[str, str]) -> None:
    if frame.empty:
        st.info(page.t("customer.no_history"))
        return
    st.caption(page.t("customer.history_caption"))
    frame = frame.assign(
        month=pd.to_datetime(frame["month_end"]),
        tier_name=[page.label("tier", t) for t in frame["pareto_tier"]],
    )
    tier_names = [page.label("tier", t) for t in TIERS]
    x = alt.X("month:T", axis=charts.axis(page.t("col.month_end"), fmt="%Y-%m", labelAngle=-45))
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**{page.t('customer.tier_chart')}**")
        tiers = (
            alt.Chart(frame)
            .mark_line(interpolate="step-after", point=True, color="#0072B2")
            .encode(
                x=x,
                y=alt.Y(
                    "tier_name:N",
                    sort=tier_names,
                    scale=alt.Scale(domain=tier_names),
                    axis=charts.axis(page.t("col.tier")),
                ),
                tooltip=[
                    alt.Tooltip("month:T", title=page.t("col.month_end"), format="%Y-%m-%d"),
                    alt.Tooltip("tier_name:N", title=page.t("col.tier")),
                ],
            )
        )
        charts.show(tiers, height=260)
    with right:
        st.markdown(f"**{page.t('customer.score_chart')}**")
        if "key_account_score" in frame:
            scores = (
                alt.Chart(frame)
                .mark_line(point=True, color="#009E73")
                .encode(
                    x=x,
                    y=alt.Y(
                        "key_account_score:Q",
                        scale=alt.Scale(domain=[0, 100]),
                        axis=charts.axis(page.t("col.score")),
                    ),
                    tooltip=[
                        alt.Tooltip("month:T", title=page.t("col.month_end"), format="%Y-%m-%d"),
                        alt.Tooltip("key_account_score:Q", title=page.t("col.score"), format=".1f"),
                    ],
                )
            )
            charts.show(scores, height=260)
    with st.expander(page.t("customer.history_table")):
        shown = frame.assign(
            month_text=frame["month"].dt.strftime("%Y-%m-%d"),
            quadrant_name=[quadrants.get(q, q) for q in frame["quadrant"]],
            status_name=[page.label("churn.status", s) for s in frame["churn_status"]],
            key_text=[page.yes_no(v) for v in frame.get("is_key_account", pd.Series([None] * len(frame)))],
        )
        charts.table(
            shown.iloc[::-1],
            {
                "month_text": (page.t("col.month_end"), "text"),
                "tier_name": (page.t("col.tier"), "text"),
                "quadrant_name": (page.t("col.quadrant"), "text"),
                "status_name": (page.t("col.churn_status"), "text"),
                "key_text": (page.t("col.key_account"), "text"),
                "net_revenue_window": (page.t("col.revenue"), "money"),
            },
        )
