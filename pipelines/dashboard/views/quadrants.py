"""Quadrants: tenure against window revenue, coloured by quadrant, with each quadrant's strategy."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from pipelines.dashboard import charts, i18n
from pipelines.dashboard.context import PageContext

REQUIRES = ("customer_value", "quadrant_summary")
PLOTTED = ("old_big", "new_big", "new_small", "old_small")


def summary(page: PageContext) -> pd.DataFrame:
    frame = page.data.table("quadrant_summary", order_by="sort_order")
    frame["name"] = page.localized(frame, "label")
    frame["strategy"] = page.localized(frame, "strategy")
    return frame


def render(page: PageContext) -> None:
    quadrants = summary(page)
    customers = page.data.sql(
        "SELECT customer_id, quadrant, pareto_tier, tenure_days, net_revenue_window FROM customer_value "
        "WHERE quadrant IN (?, ?, ?, ?) ORDER BY customer_id",
        PLOTTED,
    )
    old_from = page.setting("old_customer_min_days", 365)
    big_from = customers.loc[customers["pareto_tier"] == "A", "net_revenue_window"].min()

    st.header(page.t("quadrants.title"))
    st.caption(
        page.t(
            "quadrants.intro",
            days=i18n.integer(old_from),
            as_of=page.as_of,
        )
    )
    st.subheader(page.t("quadrants.chart"))
    names = dict(zip(quadrants["quadrant"], quadrants["name"], strict=True))
    _scatter(page, customers, names, old_from, big_from)
    count = dict(zip(quadrants["quadrant"], quadrants["customers"], strict=True))
    caption = page.t(
        "quadrants.chart_caption",
        inactive=int(count.get("inactive", 0)),
        prospects=int(count.get("prospect", 0)),
    )
    no_revenue = int((customers["net_revenue_window"] <= 0).sum())
    if no_revenue:
        caption += " " + page.t("quadrants.no_revenue", count=no_revenue)
    st.caption(caption)

    st.subheader(page.t("quadrants.strategies"))
    cells = st.columns(2)
    for i, row in enumerate(quadrants[quadrants["quadrant"].isin(PLOTTED)].itertuples()):
        with cells[i % 2].container(border=True):
            st.markdown(f"**{row.name}**")
            st.caption(
                page.t(
                    "quadrants.card",
                    customers=int(row.customers),
                    revenue_share=i18n.percent(row.revenue_share),
                    margin=i18n.percent(row.gross_margin),
                )
            )
            st.write(row.strategy)

    st.subheader(page.t("quadrants.table"))
    charts.table(
        quadrants,
        {
            "name": (page.t("col.quadrant"), "text"),
            "customers": (page.t("col.customers"), "int"),
            "customer_share": (page.t("col.customer_share"), "share"),
            "net_revenue_window": (page.t("col.revenue"), "money"),
            "revenue_share": (page.t("col.revenue_share"), "share"),
            "gross_profit_window": (page.t("col.profit"), "money"),
            "gross_margin": (page.t("col.margin"), "share"),
            "at_risk_customers": (page.t("col.at_risk"), "int"),
        },
    )


def _scatter(page: PageContext, customers: pd.DataFrame, names: dict, old_from, big_from) -> None:
    # A log scale shows the small and the large customers alike; it cannot show a
    # window revenue of 0 or below (returns beyond sales), so those few are counted instead.
    plotted = customers[customers["net_revenue_window"] > 0]
    if plotted.empty:
        st.info(page.t("app.no_rows"))
        return
    plotted = plotted.assign(name=plotted["quadrant"].map(names))
    order = [names[q] for q in PLOTTED if q in names]
    # The axis runs from one power of ten to another, with a tick at each.
    low = math.floor(math.log10(float(plotted["net_revenue_window"].min())))
    high = math.ceil(math.log10(float(plotted["net_revenue_window"].max())))
    ticks = [10**k for k in range(low, max(high, low + 1) + 1)]
    x = alt.X("tenure_days:Q", axis=charts.axis(page.t("quadrants.x"), fmt=",d"))
    y = alt.Y(
        "net_revenue_window:Q",
        axis=charts.axis(page.t("quadrants.y"), fmt=",d", values=ticks),
        scale=alt.Scale(type="log", domain=[ticks[0], ticks[-1]]),
    )
    dots = (
        alt.Chart(plotted)
        .mark_circle(size=22, opacity=0.6)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "name:N",
                scale=charts.colour_scale(list(PLOTTED), order, charts.QUADRANT_COLOURS),
                legend=charts.legend(page.t("col.quadrant")),
            ),
            tooltip=[
                alt.Tooltip("customer_id:N", title=page.t("col.customer_id")),
                alt.Tooltip("name:N", title=page.t("col.quadrant")),
                alt.Tooltip("tenure_days:Q", title=page.t("col.tenure"), format=","),
                alt.Tooltip("net_revenue_window:Q", title=page.t("col.revenue"), format=",.0f"),
            ],
        )
    )
    layers = [dots]
    if not i18n.is_missing(old_from):
        rule = pd.DataFrame(
            {"tenure_days": [float(old_from)], "text": [page.t("quadrants.old_line", days=i18n.integer(old_from))]}
        )
        layers.append(alt.Chart(rule).mark_rule(strokeDash=[5, 4], color="#333333").encode(x=x))
        layers += charts.halo_text(
            alt.Chart(rule),
            align="left",
            baseline="top",
            dx=6,
            dy=6,
            encode={"x": x, "y": alt.value(0), "text": "text:N"},
        )
    if not i18n.is_missing(big_from) and float(big_from) > 0:
        rule = pd.DataFrame(
            {
                "net_revenue_window": [float(big_from)],
                "text": [page.t("quadrants.big_line", amount=i18n.money(big_from))],
            }
        )
        layers.append(alt.Chart(rule).mark_rule(strokeDash=[5, 4], color="#333333").encode(y=y))
        layers += charts.halo_text(
            alt.Chart(rule),
            align="left",
            baseline="bottom",
            dx=6,
            dy=-4,
            encode={"x": alt.value(0), "y": y, "text": "text:N"},
        )
    charts.show(alt.layer(*layers), height=460)
