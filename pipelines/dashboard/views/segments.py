"""Segments: customer groups, membership levels and the other CRM dimensions side by side."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pipelines.dashboard import charts, controls, i18n
from pipelines.dashboard.context import PageContext

REQUIRES = ("segment_summary",)
PARAMS = ("segment",)
DIMENSIONS = (
    "crm_group",
    "membership_level",
    "customer_type",
    "industry",
    "region",
    "acquisition_channel",
    "account_manager",
)
UNKNOWN = "(unknown)"


def segments(page: PageContext, dimension: str) -> pd.DataFrame:
    frame = page.data.table("segment_summary", where="dimension = ?", params=[dimension], order_by="value")
    frame["name"] = [page.t("unknown") if v == UNKNOWN else str(v) for v in frame["value"]]
    return frame.sort_values(["net_revenue_window", "value"], ascending=[False, True]).reset_index(drop=True)


def render(page: PageContext) -> None:
    st.header(page.t("segments.title"))
    st.caption(page.t("segments.intro"))
    present = set(page.data.sql("SELECT DISTINCT dimension FROM segment_summary")["dimension"])
    options = [d for d in DIMENSIONS if d in present] + sorted(present - set(DIMENSIONS))
    if not options:
        st.info(page.t("app.no_rows"))
        return
    dimension = controls.radio(
        "segment", page.t("segments.dimension"), options, lambda d: page.label("dimension", d), horizontal=True
    )
    frame = segments(page, dimension)
    title = page.label("dimension", dimension)

    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(page.t("segments.revenue_chart"))
        _bars(page, frame, "revenue_share", title, page.t("col.revenue_share"), "#0072B2")
    with right:
        st.subheader(page.t("segments.churn_chart"))
        _bars(page, frame, "churn_rate", title, page.t("col.churn_rate"), charts.STATUS_COLOURS["churned"])
        st.caption(page.t("segments.churn_caption"))

    charts.table(
        frame,
        {
            "name": (title, "text"),
            "customers": (page.t("col.customers"), "int"),
            "net_revenue_window": (page.t("col.revenue"), "money"),
            "revenue_share": (page.t("col.revenue_share"), "share"),
            "gross_margin": (page.t("col.margin"), "share"),
            "core_customers": (page.t("col.core"), "int"),
            "key_accounts": (page.t("col.key_accounts"), "int"),
            "at_risk_customers": (page.t("col.at_risk"), "int"),
            "churned_customers": (page.t("col.churned"), "int"),
            "churn_rate": (page.t("col.churn_rate"), "share"),
            "revenue_at_risk": (page.t("col.revenue_at_risk"), "money"),
        },
    )


def _bars(page: PageContext, frame: pd.DataFrame, column: str, title: str, value_title: str, colour: str) -> None:
    frame = frame.assign(text=[i18n.percent(v) for v in frame[column]])
    order = list(frame["name"])
    base = alt.Chart(frame).encode(
        y=alt.Y("name:N", sort=order, axis=charts.axis(title, labelOverlap=False)),
        # Room on the right for the longest bar's label.
        x=alt.X(
            f"{column}:Q",
            axis=charts.axis(value_title, fmt=".0%", tickCount=5),
            scale=alt.Scale(domain=[0, max(float(frame[column].max() or 0), 0.01) * 1.2]),
        ),
    )
    bars = base.mark_bar(color=colour).encode(
        tooltip=[
            alt.Tooltip("name:N", title=title),
            alt.Tooltip(f"{column}:Q", title=value_title, format=".1%"),
            alt.Tooltip("customers:Q", title=page.t("col.customers"), format=","),
        ]
    )
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(text="text:N")
    charts.show(bars + text, height=40 * len(frame) + 20)
