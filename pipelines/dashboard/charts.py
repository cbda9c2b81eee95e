"""Chart conventions shared by the pages: every axis has a title, labels never overlap,
shares read as percentages, money carries the reporting currency in its title."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

# A palette that stays apart for colour-blind readers (Okabe-Ito) and in print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#F0E442"]
TIER_COLOURS = {"A": "#0072B2", "B": "#56B4E9", "C": "#E69F00", "D": "#999999"}
STATUS_COLOURS = {"active": "#009E73", "at_risk": "#E69F00", "churned": "#D55E00", "prospect": "#999999"}
QUADRANT_COLOURS = {
    "old_big": "#0072B2",
    "new_big": "#CC79A7",
    "new_small": "#009E73",
    "old_small": "#E69F00",
    "inactive": "#999999",
    "prospect": "#BBBBBB",
}
BAND_COLOURS = {"top_20": "#0072B2", "middle_60": "#56B4E9", "bottom_20": "#D55E00", "none": "#999999"}


def axis(title: str, *, fmt: str | None = None, **options: Any) -> alt.Axis:
    """An axis with its title; labels that would collide are thinned, long ones cut."""
    settings: dict[str, Any] = {"title": title, "labelOverlap": "greedy", "labelLimit": 180, "titlePadding": 10}
    if fmt:
        settings["format"] = fmt
    settings.update(options)
    return alt.Axis(**settings)


def legend(title: str, **options: Any) -> alt.Legend:
    return alt.Legend(title=title, orient="bottom", labelLimit=260, **options)


def colour_scale(codes: list[str], labels: list[str], colours: dict[str, str]) -> alt.Scale:
    """A colour per code, shown under its translated label, in a fixed order."""
    return alt.Scale(domain=labels, range=[colours.get(c, "#999999") for c in codes])


def halo_text(chart: alt.Chart, *, encode: dict[str, Any], **mark: Any) -> list[alt.Chart]:
    """A label that stays readable over dots and lines: the text over a white outline of itself."""
    outline = chart.mark_text(stroke="white", strokeWidth=4, strokeJoin="round", fontSize=12, **mark).encode(**encode)
    text = chart.mark_text(color="#222222", fontSize=12, **mark).encode(**encode)
    return [outline, text]


def show(chart: alt.TopLevelMixin, *, height: int | None = None) -> None:
    """Draw a chart across the page's width, in the dashboard's look."""
    if height is not None:
        chart = chart.properties(height=height)
    chart = chart.configure_axis(labelFontSize=12, titleFontSize=13, titleFontWeight="normal").configure_legend(
        labelFontSize=12, titleFontSize=12
    )
    st.altair_chart(chart, width="stretch")


ROW_PIXELS = 35
# How a table column reads: (pandas format, width). Every empty value reads "–".
KINDS: dict[str, tuple[str | None, str | None]] = {
    "text": (None, None),
    "long": (None, "large"),
    "int": ("{:,.0f}", None),
    "money": ("{:,.0f}", None),
    "share": ("{:.1%}", None),
    "decimal": ("{:,.1f}", None),
}


def table(frame: pd.DataFrame, columns: dict[str, tuple[str, str]], *, height: int | str = "auto") -> None:
    """A table with translated headers: `columns` maps a column to (header, kind), in
    display order; the kind (KINDS) decides how its values read. Sorting a column in
    the table still sorts by the numbers. An int `height` is the most it may take."""
    shown = frame[list(columns)].rename(columns={c: header for c, (header, _) in columns.items()})
    formats = {header: KINDS[kind][0] for header, kind in columns.values() if KINDS[kind][0]}
    styled = shown.style.format(formats, na_rep="–")
    texts = [header for header, kind in columns.values() if not KINDS[kind][0]]
    styled = styled.format(lambda v: "–" if v is None or v != v else v, subset=texts)
    config = {
        header: st.column_config.Column(width=KINDS[kind][1]) for header, kind in columns.values() if KINDS[kind][1]
    }
    st.dataframe(styled, hide_index=True, column_config=config, height=height, placeholder="–")
