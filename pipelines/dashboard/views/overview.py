"""Overview: the headline figures, the Pareto curve with the observed x/20, the tiers."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pipelines.dashboard import charts, i18n
from pipelines.dashboard.context import PageContext

REQUIRES = ("pareto_summary", "pareto_curve", "customer_value")
MEASURES = ("net_revenue_window", "gross_profit_window")
# The curve is drawn through at most this many points per measure (the shape, not every customer).
CURVE_POINTS = 400


def headline(page: PageContext) -> dict:
    """The figures of the metric row, straight from the marts."""
    summary = page.data.table("pareto_summary").iloc[0]
    counts = page.data.sql(
        "SELECT count(*) FILTER (WHERE is_core_customer) AS core, "
        "count(*) FILTER (WHERE is_key_account) AS key_accounts, "
        "count(*) FILTER (WHERE churn_status = 'at_risk') AS at_risk FROM customer_value"
        if page.data.has("customer_value", "is_core_customer")
        else "SELECT NULL AS core, count(*) FILTER (WHERE is_key_account) AS key_accounts, "
        "count(*) FILTER (WHERE churn_status = 'at_risk') AS at_risk FROM customer_value"
    ).iloc[0]
    return {"summary": summary, "counts": counts}


def x20(share: object, top: object, ranked: object) -> tuple[str, str]:
    """The observed x/20 as it reads ("74.5/20") and the top share of customers ("20%")."""
    if i18n.is_missing(share) or not ranked:
        return "–", "–"
    top_share = float(top) / float(ranked)
    return f"{float(share) * 100:.1f}/{top_share * 100:.0f}", i18n.percent(top_share, 0)


def render(page: PageContext) -> None:
    st.header(page.t("overview.title"))
    st.caption(page.t("overview.intro", as_of=page.as_of))
    figures = headline(page)
    s, counts = figures["summary"], figures["counts"]

    revenue_x20, top_share = x20(s.top_customers_revenue_share, s.revenue_top_customers, s.revenue_ranked_customers)
    profit_x20, _ = x20(s.top_customers_profit_share, s.profit_top_customers, s.profit_ranked_customers)
    row = st.columns(4)
    row[0].metric(page.t("overview.customers"), i18n.integer(s.customers), help=page.t("overview.customers_help"))
    row[1].metric(page.t("overview.revenue"), i18n.money(s.net_revenue_window), help=page.t("overview.revenue_help"))
    row[2].metric(
        page.t("overview.x20"),
        revenue_x20,
        help=page.t(
            "overview.x20_help",
            top=int(s.revenue_top_customers),
            ranked=int(s.revenue_ranked_customers),
            top_share=top_share,
            share=i18n.percent(s.top_customers_revenue_share),
        ),
    )
    row[3].metric(page.t("overview.core"), i18n.integer(counts.core), help=page.t("overview.core_help"))
    row = st.columns(4)
    row[0].metric(page.t("overview.profit"), i18n.money(s.gross_profit_window), help=page.t("overview.profit_help"))
    row[1].metric(
        page.t("overview.x20_profit"),
        profit_x20,
        help=page.t(
            "overview.x20_profit_help",
            top=int(s.profit_top_customers),
            ranked=int(s.profit_ranked_customers),
            share=i18n.percent(s.top_customers_profit_share),
        ),
    )
    row[2].metric(page.t("overview.key_accounts"), i18n.integer(counts.key_accounts))
    row[3].metric(page.t("overview.at_risk"), i18n.integer(counts.at_risk), help=page.t("overview.at_risk_help"))

    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(page.t("overview.curve"))
        _pareto_curve(page, s)
        st.caption(page.t("overview.curve_caption"))
    with right:
        st.subheader(page.t("overview.tiers"))
        _tiers(page, s)
        st.caption(page.t("overview.tiers_caption"))


def _pareto_curve(page: PageContext, s: pd.Series) -> None:
    curve = page.data.sql(
        "SELECT measure, customer_rank, cumulative_customer_share, cumulative_value_share FROM pareto_curve "
        "QUALIFY customer_rank = 1 OR customer_rank = max(customer_rank) OVER (PARTITION BY measure) "
        "OR customer_rank % greatest(1, ceil(max(customer_rank) OVER (PARTITION BY measure) / ?)::BIGINT) = 0 "
        "ORDER BY measure, customer_rank",
        [CURVE_POINTS],
    )
    if curve.empty:
        st.info(page.t("app.no_rows"))
        return
    origin = pd.DataFrame(
        {"measure": list(MEASURES), "customer_rank": 0, "cumulative_customer_share": 0.0, "cumulative_value_share": 0.0}
    )
    curve = pd.concat([origin, curve], ignore_index=True)
    names = {m: page.t(f"overview.measure.{m}") for m in MEASURES}
    curve["measure_name"] = curve["measure"].map(names)
    x = alt.X("cumulative_customer_share:Q", axis=charts.axis(page.t("overview.curve_x"), fmt="%"))
    y = alt.Y(
        "cumulative_value_share:Q",
        axis=charts.axis(page.t("overview.curve_y"), fmt="%"),
        scale=alt.Scale(domain=[0, 1]),
    )
    colour = alt.Color(
        "measure_name:N",
        scale=alt.Scale(domain=[names[m] for m in MEASURES], range=["#0072B2", "#009E73"]),
        legend=charts.legend(page.t("overview.measure")),
    )
    lines = (
        alt.Chart(curve)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=x,
            y=y,
            color=colour,
            tooltip=[
                alt.Tooltip("measure_name:N", title=page.t("overview.measure")),
                alt.Tooltip("cumulative_customer_share:Q", title=page.t("overview.curve_x"), format=".1%"),
                alt.Tooltip("cumulative_value_share:Q", title=page.t("overview.curve_y"), format=".1%"),
            ],
        )
    )
    even = (
        alt.Chart(pd.DataFrame({"cumulative_customer_share": [0.0, 1.0], "cumulative_value_share": [0.0, 1.0]}))
        .mark_line(strokeDash=[4, 4], color="#999999")
        .encode(x=x, y=y)
    )
    marked = []
    for measure, share, top, ranked, dy in (
        ("net_revenue_window", s.top_customers_revenue_share, s.revenue_top_customers, s.revenue_ranked_customers, 14),
        ("gross_profit_window", s.top_customers_profit_share, s.profit_top_customers, s.profit_ranked_customers, 30),
    ):
        if i18n.is_missing(share) or not ranked:
            continue
        top_share = float(top) / float(ranked)
        marked.append(
            {
                "measure_name": names[measure],
                "cumulative_customer_share": top_share,
                "cumulative_value_share": float(share),
                "text": page.t(
                    f"overview.point.{measure}", top_share=i18n.percent(top_share, 0), share=i18n.percent(share)
                ),
                "dy": dy,
            }
        )
    layers = [even, lines]
    if marked:
        points = pd.DataFrame(marked)
        layers.append(alt.Chart(points).mark_point(size=110, filled=True, opacity=1).encode(x=x, y=y, color=colour))
        # Labels sit to the right of and below their point, one under the other, so they
        # never cover each other; a white outline keeps them readable over the lines.
        for record in marked:
            layers += charts.halo_text(
                alt.Chart(pd.DataFrame([record])),
                align="left",
                baseline="top",
                dx=10,
                dy=record["dy"] - 8,
                encode={"x": x, "y": y, "text": "text:N", "color": colour},
            )
    charts.show(alt.layer(*layers), height=380)


def _tiers(page: PageContext, s: pd.Series) -> None:
    tiers = pd.DataFrame(
        {
            "tier": list("ABCD"),
            "customers": [s[f"tier_{t}_customers"] for t in "abcd"],
            "customer_share": [s[f"tier_{t}_customer_share"] for t in "abcd"],
            "revenue": [s[f"tier_{t}_net_revenue_window"] for t in "abcd"],
            "revenue_share": [s[f"tier_{t}_revenue_share"] for t in "abcd"],
        }
    )
    tiers["tier_name"] = [page.label("tier", t) for t in tiers["tier"]]
    tiers["count_text"] = [i18n.integer(v) for v in tiers["customers"]]
    base = alt.Chart(tiers).encode(
        x=alt.X(
            "tier_name:N",
            sort=list(tiers["tier_name"]),
            axis=charts.axis(page.t("overview.tier_axis"), labelAngle=0, labelOverlap=False),
        ),
        y=alt.Y("customers:Q", axis=charts.axis(page.t("overview.customers_axis"), fmt=",d")),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "tier_name:N",
            scale=charts.colour_scale(list("ABCD"), list(tiers["tier_name"]), charts.TIER_COLOURS),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("tier_name:N", title=page.t("col.tier")),
            alt.Tooltip("customers:Q", title=page.t("col.customers"), format=","),
            alt.Tooltip("revenue:Q", title=page.t("col.revenue"), format=",.0f"),
            alt.Tooltip("revenue_share:Q", title=page.t("col.revenue_share"), format=".1%"),
        ],
    )
    text = base.mark_text(dy=-8, fontSize=12).encode(text="count_text:N")
    charts.show(bars + text, height=260)
    charts.table(
        tiers,
        {
            "tier_name": (page.t("col.tier"), "text"),
            "customers": (page.t("col.customers"), "int"),
            "revenue": (page.t("col.revenue"), "money"),
            "revenue_share": (page.t("col.revenue_share"), "share"),
        },
    )
