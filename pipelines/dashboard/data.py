"""What the pages read, cached per release.

A cached result is keyed on the release's folder and id, so a new release (a refresh
switched `current`) is read afresh on the next rerun without restarting the app,
while reruns on the same release (a click, a language switch) cost nothing. The TTL
only bounds how long an old release's frames stay in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from pipelines.core.sql import quote_identifier
from pipelines.dashboard.published import Release, query

CACHE_SECONDS = 600


@st.cache_data(ttl=CACHE_SECONDS, max_entries=256, show_spinner=False)
def _cached_query(folder: str, release_id: str, sql: str, params: tuple[Any, ...]) -> pd.DataFrame:
    # folder and release_id are the cache key; the release is rebuilt from them.
    return query(Release(release_id, Path(folder), {}), sql, params)


@dataclass(frozen=True)
class Data:
    """The live release and cached, read-only queries on it."""

    release: Release

    def sql(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        frame = _cached_query(str(self.release.folder), self.release.release_id, sql, tuple(params))
        # Pages may add columns; never let them change the cached frame.
        return frame.copy()

    def table(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        *,
        where: str = "",
        params: Sequence[Any] = (),
        order_by: str = "",
    ) -> pd.DataFrame:
        """Rows of a published table; only the columns this release has are selected."""
        if columns is None:
            select = "*"
        else:
            present = [c for c in columns if self.release.has_column(table, c)]
            select = ", ".join(quote_identifier(c) for c in present) or "*"
        sql = f"SELECT {select} FROM {quote_identifier(table)}"
        if where:
            sql += f" WHERE {where}"
        if order_by:
            sql += f" ORDER BY {order_by}"
        return self.sql(sql, params)

    def has(self, table: str, column: str | None = None) -> bool:
        if column is None:
            return self.release.has_table(table)
        return self.release.has_column(table, column)


def clear() -> None:
    _cached_query.clear()
