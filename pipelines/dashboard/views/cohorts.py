"""Cohorts: a heatmap of retention (or cumulative revenue per customer) by first-order month."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pipelines.dashboard import charts, controls
from pipelines.dashboard.context import PageContext

REQUIRES = ("cohort_retention",)
PARAMS = ("measure",)
MEASURES = ("retention_rate", "cumulative_net_revenue_per_customer")


def cohorts(page: PageContext) -> pd.DataFrame:
    frame = page.data.table(
        "cohort_retention",
        [
            "cohort_month",
            "month_offset",
            "cohort_size",
            "active_customers",
            "retention_rate",
            "cumulative_net_revenue_per_customer",
        ],
        order_by="cohort_month, month_offset",
    )
    frame["cohort"] = pd.to_datetime(frame["cohort_month"]).dt.strftime("%Y-%m")
    return frame


def render(page: PageContext) -> None:
    st.header(page.t("cohorts.title"))
    st.caption(page.t("cohorts.intro"))
    measure = controls.radio(
        "measure", page.t("cohorts.measure"), MEASURES, lambda m: page.t(f"cohorts.measure.{m}"), horizontal=True
    )
    frame = cohorts(page)
    st.subheader(page.t("cohorts.heatmap"))
    if frame.empty:
        st.info(page.t("app.no_rows"))
        return
    if measure == "retention_rate":
        # Month 0 is 1 by definition: leaving it out lets the colours show the later months.
        frame = frame[frame["month_offset"] > 0]
        colour_title, fmt, scheme = page.t("cohorts.measure.retention_rate"), ".0%", "blues"
    else:
        colour_title, fmt, scheme = page.t("cohorts.revenue_per_customer"), ",.0f", "greens"
    order = sorted(frame["cohort"].unique())
    heat = (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("month_offset:O", axis=charts.axis(page.t("cohorts.x"), labelAngle=0)),
            y=alt.Y("cohort:O", sort=order, axis=charts.axis(page.t("cohorts.y"))),
            color=alt.Color(
                f"{measure}:Q",
                scale=alt.Scale(scheme=scheme),
                legend=alt.Legend(title=colour_title, format=fmt, orient="right", gradientLength=260),
            ),
            tooltip=[
                alt.Tooltip("cohort:O", title=page.t("cohorts.y")),
                alt.Tooltip("month_offset:O", title=page.t("cohorts.x")),
                alt.Tooltip("cohort_size:Q", title=page.t("cohorts.size"), format=","),
                alt.Tooltip("active_customers:Q", title=page.t("cohorts.active"), format=","),
                alt.Tooltip("retention_rate:Q", title=page.t("cohorts.measure.retention_rate"), format=".1%"),
                alt.Tooltip(
                    "cumulative_net_revenue_per_customer:Q", title=page.t("cohorts.revenue_per_customer"), format=",.0f"
                ),
            ],
        )
    )
    charts.show(heat, height=max(240, 14 * len(order)))
    st.caption(page.t(f"cohorts.caption.{measure}"))
