"""Churn: when customers were lost, why, what the model says, and who is at risk now."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pipelines.dashboard import charts, i18n
from pipelines.dashboard.context import PageContext

REQUIRES = ("churn_analysis", "customer_value")
# The order in which signals decide the reason (SPEC 7.1), and the catch-all last.
REASONS = ("complaints", "returns", "order_decline", "discount_dependent", "no_contact", "one_time", "unexplained")
STATUSES = ("active", "at_risk", "churned")


def reasons(page: PageContext) -> pd.DataFrame:
    """Per reason: at risk and churned customers, revenue lost and at risk, label and action."""
    frame = page.data.table("churn_analysis", where="dimension = 'churn_reason'")
    frame = frame.rename(columns={"dimension_value": "churn_reason"})
    if page.data.has("customer_value", "churn_reason_label_en"):
        texts = page.data.sql(
            "SELECT churn_reason, any_value(churn_reason_label_en) AS label_en, any_value(churn_reason_label_zh) AS label_zh, "
            "any_value(churn_reason_action_en) AS action_en, any_value(churn_reason_action_zh) AS action_zh "
            "FROM customer_value WHERE churn_reason IS NOT NULL GROUP BY churn_reason"
        )
        frame = frame.merge(texts, on="churn_reason", how="left")
        frame["name"] = page.localized(frame, "label").fillna(frame["churn_reason"])
        frame["action"] = page.localized(frame, "action").fillna("")
    else:
        frame["name"], frame["action"] = frame["churn_reason"], ""
    rank = {r: i for i, r in enumerate(REASONS)}
    frame["order"] = frame["churn_reason"].map(rank).fillna(len(REASONS))
    return frame.sort_values(["order", "churn_reason"]).reset_index(drop=True)


def at_risk(page: PageContext) -> pd.DataFrame:
    """The customers at risk, the largest window revenue (the revenue at risk) first."""
    columns = [
        "customer_id",
        "customer_name",
        "net_revenue_window",
        "recency_days",
        "churn_after_days",
        "churn_reason",
        "churn_reason_label_en",
        "churn_reason_label_zh",
        "p_alive",
        "account_manager",
    ]
    frame = page.data.table(
        "customer_value",
        columns,
        where="churn_status = 'at_risk'",
        order_by="net_revenue_window DESC, customer_id",
    )
    # Days without an order still to go before the customer counts as churned.
    frame["days_left"] = frame["churn_after_days"] - frame["recency_days"]
    if "churn_reason_label_en" in frame:
        frame["reason"] = page.localized(frame, "churn_reason_label").fillna(frame["churn_reason"])
    else:
        frame["reason"] = frame.get("churn_reason")
    return frame


def render(page: PageContext) -> None:
    st.header(page.t("churn.title"))
    st.caption(page.t("churn.intro"))
    by_reason = reasons(page)
    risky = at_risk(page)

    row = st.columns(4)
    row[0].metric(page.t("churn.at_risk"), i18n.integer(by_reason["at_risk_customers"].sum()))
    row[1].metric(
        page.t("churn.revenue_at_risk"),
        i18n.money(by_reason["at_risk_net_revenue_window"].sum()),
        help=page.t("churn.revenue_at_risk_help"),
    )
    row[2].metric(page.t("churn.churned"), i18n.integer(by_reason["churned_customers"].sum()))
    row[3].metric(
        page.t("churn.revenue_lost"),
        i18n.money(by_reason["churned_revenue_lost"].sum()),
        help=page.t("churn.revenue_lost_help"),
    )

    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(page.t("churn.by_month"))
        _by_month(page)
        st.caption(page.t("churn.by_month_caption"))
    with right:
        st.subheader(page.t("churn.by_reason"))
        _by_reason(page, by_reason)
        st.caption(page.t("churn.by_reason_caption"))

    charts.table(
        by_reason,
        {
            "name": (page.t("col.reason"), "text"),
            "at_risk_customers": (page.t("col.at_risk"), "int"),
            "at_risk_net_revenue_window": (page.t("col.revenue_at_risk"), "money"),
            "churned_customers": (page.t("col.churned"), "int"),
            "churned_revenue_lost": (page.t("col.revenue_lost"), "money"),
        },
    )
    actions = by_reason[by_reason["action"].fillna("") != ""]
    if not actions.empty:
        st.markdown(f"**{page.t('churn.actions')}**")
        colon = page.t("colon")
        st.markdown("\n".join(f"- **{row.name}**{colon}{row.action}" for row in actions.itertuples()))

    if page.data.has("churn_status_predictions", "mean_p_alive"):
        st.subheader(page.t("churn.p_alive"))
        _p_alive(page)
        st.caption(page.t("churn.p_alive_caption"))

    st.subheader(page.t("churn.at_risk_list"))
    st.caption(page.t("churn.at_risk_caption", count=len(risky)))
    columns = {
        "customer_id": (page.t("col.customer_id"), "text"),
        "customer_name": (page.t("col.customer_name"), "text"),
        "net_revenue_window": (page.t("col.revenue_at_risk"), "money"),
        "reason": (page.t("col.reason"), "text"),
        "recency_days": (page.t("col.recency"), "int"),
        "days_left": (page.t("col.days_left"), "int"),
        "p_alive": (page.t("col.p_alive"), "share"),
        "account_manager": (page.t("col.account_manager"), "text"),
    }
    charts.table(risky, {k: v for k, v in columns.items() if k in risky}, height=420)


def _by_month(page: PageContext) -> None:
    months = page.data.table(
        "churn_analysis",
        ["dimension_value", "churned_customers", "churned_revenue_lost"],
        where="dimension = 'churn_month'",
        order_by="dimension_value",
    )
    if months.empty:
        st.info(page.t("app.no_rows"))
        return
    months["month"] = pd.to_datetime(months["dimension_value"])
    chart = (
        alt.Chart(months)
        .mark_bar(color=charts.STATUS_COLOURS["churned"])
        .encode(
            x=alt.X("yearmonth(month):T", axis=charts.axis(page.t("churn.month_axis"), fmt="%Y-%m", labelAngle=-45)),
            y=alt.Y("churned_customers:Q", axis=charts.axis(page.t("churn.customers_axis"), fmt=",d")),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title=page.t("col.month"), format="%Y-%m"),
                alt.Tooltip("churned_customers:Q", title=page.t("col.churned"), format=","),
                alt.Tooltip("churned_revenue_lost:Q", title=page.t("col.revenue_lost"), format=",.0f"),
            ],
        )
    )
    charts.show(chart, height=320)


def _by_reason(page: PageContext, by_reason: pd.DataFrame) -> None:
    if by_reason.empty:
        st.info(page.t("app.no_rows"))
        return
    long = by_reason.melt(
        id_vars=["name", "order"],
        value_vars=["at_risk_customers", "churned_customers"],
        var_name="status",
        value_name="count",
    )
    long["status"] = long["status"].str.removesuffix("_customers")
    statuses = [page.t(f"churn.status.{s}") for s in ("at_risk", "churned")]
    long["status_name"] = long["status"].map(lambda s: page.t(f"churn.status.{s}"))
    long["status_order"] = long["status"].map({"at_risk": 0, "churned": 1})
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=list(by_reason["name"]), axis=charts.axis(page.t("churn.reason_axis"))),
            x=alt.X("count:Q", axis=charts.axis(page.t("churn.count_axis"), fmt=",d")),
            color=alt.Color(
                "status_name:N",
                scale=charts.colour_scale(["at_risk", "churned"], statuses, charts.STATUS_COLOURS),
                legend=charts.legend(page.t("col.status")),
            ),
            order=alt.Order("status_order:Q"),
            tooltip=[
                alt.Tooltip("name:N", title=page.t("col.reason")),
                alt.Tooltip("status_name:N", title=page.t("col.status")),
                alt.Tooltip("count:Q", title=page.t("col.customers"), format=","),
            ],
        )
    )
    charts.show(chart, height=320)


def _p_alive(page: PageContext) -> None:
    frame = page.data.table("churn_status_predictions", order_by="sort_order")
    cells = st.columns(max(len(frame), 1))
    for cell, row in zip(cells, frame.itertuples(), strict=False):
        cell.metric(
            page.t("churn.p_alive_metric", status=page.label("churn.status", row.churn_status)),
            i18n.percent(row.mean_p_alive),
            help=page.t(
                "churn.p_alive_help",
                customers=int(row.customers),
                likely=int(getattr(row, "customers_likely_alive", 0) or 0),
            ),
        )
