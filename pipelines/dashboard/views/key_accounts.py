"""Key accounts: this year's list, and who entered and who left over the last year."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from pipelines.dashboard import charts, i18n
from pipelines.dashboard.context import PageContext

REQUIRES = ("customer_value",)


@dataclass(frozen=True)
class YearChange:
    start: str
    end: str
    key_then: int
    key_now: int
    entered: pd.DataFrame
    left: pd.DataFrame


def this_year(page: PageContext) -> pd.DataFrame:
    frame = page.data.table(
        "customer_value",
        [
            "customer_id",
            "customer_name",
            "key_account_score",
            "pareto_tier",
            "quadrant",
            "churn_status",
            "net_revenue_window",
            "gross_profit_window",
            "account_manager",
        ],
        where="is_key_account",
        order_by="key_account_score DESC, customer_id",
    )
    frame["churn_status_name"] = [page.label("churn.status", s) for s in frame["churn_status"]]
    frame["tier_name"] = [page.label("tier", t) for t in frame["pareto_tier"]]
    return frame


def year_change(page: PageContext) -> YearChange | None:
    """The latest month end of the history against the same month end a year before."""
    if not page.data.has("customer_tier_history", "is_key_account"):
        return None
    frame = page.data.sql(
        "WITH latest AS (SELECT max(month_end) AS end_date FROM customer_tier_history), "
        "pair AS (SELECT end_date, last_day(end_date - INTERVAL 12 MONTH)::DATE AS start_date FROM latest) "
        "SELECT h.customer_id, h.month_end = pair.end_date AS is_end, h.is_key_account, h.key_account_score, "
        "pair.start_date, pair.end_date "
        "FROM customer_tier_history AS h, pair WHERE h.month_end IN (pair.start_date, pair.end_date) "
        "AND EXISTS (SELECT 1 FROM customer_tier_history AS s WHERE s.month_end = pair.start_date)"
    )
    if frame.empty:
        return None
    start, end = str(frame["start_date"].iloc[0])[:10], str(frame["end_date"].iloc[0])[:10]
    then = frame[~frame["is_end"]].set_index("customer_id")
    now = frame[frame["is_end"]].set_index("customer_id")
    key_then = set(then.index[then["is_key_account"].astype(bool)])
    key_now = set(now.index[now["is_key_account"].astype(bool)])
    scores = pd.DataFrame({"score_then": then["key_account_score"], "score_now": now["key_account_score"]}).rename_axis(
        "customer_id"
    )

    def listed(ids: set[str], by: str) -> pd.DataFrame:
        return scores.loc[sorted(ids)].reset_index().sort_values([by, "customer_id"], ascending=[False, True])

    return YearChange(
        start=start,
        end=end,
        key_then=len(key_then),
        key_now=len(key_now),
        entered=listed(key_now - key_then, "score_now"),
        left=listed(key_then - key_now, "score_then"),
    )


def render(page: PageContext) -> None:
    st.header(page.t("key.title"))
    st.caption(page.t("key.intro"))
    current = this_year(page)
    change = year_change(page)

    st.subheader(page.t("key.this_year", as_of=page.as_of))
    row = st.columns(4)
    row[0].metric(page.t("key.count"), i18n.integer(len(current)))
    if change is not None:
        row[1].metric(page.t("key.then", date=change.start), i18n.integer(change.key_then))
        row[2].metric(page.t("key.entered"), i18n.integer(len(change.entered)))
        row[3].metric(page.t("key.left"), i18n.integer(len(change.left)))
    quadrant_names = page.code_labels("quadrant_summary", "quadrant")
    current["quadrant_name"] = current["quadrant"].map(quadrant_names).fillna(current["quadrant"])
    columns = {
        "customer_id": (page.t("col.customer_id"), "text"),
        "customer_name": (page.t("col.customer_name"), "text"),
        "key_account_score": (page.t("col.score"), "decimal"),
        "tier_name": (page.t("col.tier"), "text"),
        "quadrant_name": (page.t("col.quadrant"), "text"),
        "churn_status_name": (page.t("col.churn_status"), "text"),
        "net_revenue_window": (page.t("col.revenue"), "money"),
        "gross_profit_window": (page.t("col.profit"), "money"),
        "account_manager": (page.t("col.account_manager"), "text"),
    }
    charts.table(current, {k: v for k, v in columns.items() if k in current}, height=380)

    if change is None:
        st.info(page.t("key.no_history"))
        return
    st.subheader(page.t("key.change", start=change.start, end=change.end))
    st.caption(page.t("key.change_caption"))
    left, right = st.columns(2, gap="large")
    moves = {
        "customer_id": (page.t("col.customer_id"), "text"),
        "score_then": (page.t("key.score_then"), "decimal"),
        "score_now": (page.t("key.score_now"), "decimal"),
    }
    with left:
        st.markdown(f"**{page.t('key.entered_list')}** ({i18n.integer(len(change.entered))})")
        charts.table(change.entered, moves, height=320)
    with right:
        st.markdown(f"**{page.t('key.left_list')}** ({i18n.integer(len(change.left))})")
        charts.table(change.left, moves, height=320)
