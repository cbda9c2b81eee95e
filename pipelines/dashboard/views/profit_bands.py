"""Profit bands: 20/60/20 by window gross profit, where the effort goes, and each band's action."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pipelines.dashboard import charts, i18n
from pipelines.dashboard.context import PageContext

REQUIRES = ("profit_band_summary",)
RANKED = ("top_20", "middle_60", "bottom_20")


def bands(page: PageContext) -> pd.DataFrame:
    frame = page.data.table("profit_band_summary", order_by="sort_order")
    frame["name"] = page.localized(frame, "label")
    frame["action"] = page.localized(frame, "action")
    return frame


def render(page: PageContext) -> None:
    frame = bands(page)
    st.header(page.t("bands.title"))
    st.caption(page.t("bands.intro"))

    ranked = frame[frame["profit_band"].isin(RANKED)].copy()
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(page.t("bands.profit_chart"))
        _bars(
            page,
            ranked,
            "profit_share",
            page.t("col.profit_share"),
            ".0%",
            [i18n.percent(v) for v in ranked["profit_share"]],
        )
    with right:
        st.subheader(page.t("bands.effort_chart"))
        _bars(
            page,
            frame,
            "interactions_window_per_customer",
            page.t("col.interactions_per_customer"),
            ".1f",
            [i18n.decimal(v) for v in frame["interactions_window_per_customer"]],
        )
        st.caption(page.t("bands.effort_caption"))

    st.subheader(page.t("bands.actions"))
    cells = st.columns(len(frame))
    for cell, row in zip(cells, frame.itertuples(), strict=True):
        with cell.container(border=True):
            st.markdown(f"**{row.name}**")
            st.caption(
                page.t(
                    "bands.card",
                    customers=int(row.customers),
                    profit_share=i18n.percent(row.profit_share),
                    loss=int(row.loss_making_customers),
                )
            )
            st.write(row.action)

    st.subheader(page.t("bands.table"))
    charts.table(
        frame,
        {
            "name": (page.t("col.band"), "text"),
            "customers": (page.t("col.customers"), "int"),
            "net_revenue_window": (page.t("col.revenue"), "money"),
            "gross_profit_window": (page.t("col.profit"), "money"),
            "cost_to_serve_window": (page.t("col.cost_to_serve"), "money"),
            "gross_margin": (page.t("col.margin"), "share"),
            "profit_share": (page.t("col.profit_share"), "share"),
        },
    )


def _bars(page: PageContext, frame: pd.DataFrame, column: str, title: str, fmt: str, texts: list[str]) -> None:
    """Horizontal bars, one per band, so the band names read in full."""
    frame = frame.assign(text=texts)
    order = list(frame["name"])
    values = [float(v) for v in frame[column].fillna(0)]
    # Room beside the longest bars for their labels, on either side of 0.
    span = max(max(values), 0) - min(min(values), 0) or 1
    domain = [min(min(values), 0) - (0.25 * span if min(values) < 0 else 0), max(max(values), 0) + 0.2 * span]
    base = alt.Chart(frame).encode(
        y=alt.Y("name:N", sort=order, axis=charts.axis(page.t("col.band"), labelOverlap=False, labelLimit=220)),
        x=alt.X(f"{column}:Q", axis=charts.axis(title, fmt=fmt), scale=alt.Scale(domain=domain)),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "name:N", scale=charts.colour_scale(list(frame["profit_band"]), order, charts.BAND_COLOURS), legend=None
        ),
        tooltip=[
            alt.Tooltip("name:N", title=page.t("col.band")),
            alt.Tooltip(f"{column}:Q", title=title, format=fmt),
            alt.Tooltip("customers:Q", title=page.t("col.customers"), format=","),
        ],
    )
    # Beyond the end of each bar: right of one that goes right, left of one that goes left.
    right = (
        base.transform_filter(f"datum.{column} >= 0").mark_text(align="left", dx=5, fontSize=12).encode(text="text:N")
    )
    left = (
        base.transform_filter(f"datum.{column} < 0").mark_text(align="right", dx=-5, fontSize=12).encode(text="text:N")
    )
    charts.show(bars + right + left, height=60 * len(frame) + 40)
