"""Reading the published set, and only that: the release BI tools read.

The publish folder holds `current -> releases/<id>/` with `marts.duckdb` and
`manifest.json` inside (see the publish stage). A release is found by resolving
`current` once, then its manifest and its database are read from that same folder, so
a page never mixes two releases even when a refresh switches `current` in between.

Every query opens the release's database read-only and closes it at once: the
dashboard never holds a connection between reruns, so it never stands in the way of
a refresh, and the next rerun after a switch reads the new release.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

# The publish folder's fixed names (written by the publish stage; tests check they agree).
CURRENT = "current"
MANIFEST = "manifest.json"
DATABASE = "marts.duckdb"


class ReleaseGone(RuntimeError):
    """The release was pruned between finding it and reading it: find the live one again."""


@dataclass(frozen=True)
class Release:
    """One published release: its folder and manifest."""

    release_id: str
    folder: Path
    manifest: dict[str, Any]

    @property
    def database(self) -> Path:
        return self.folder / DATABASE

    @property
    def as_of_date(self) -> str | None:
        return self.manifest.get("as_of_date")

    @property
    def published_at(self) -> str | None:
        return self.manifest.get("published_at")

    def tables(self) -> dict[str, dict[str, Any]]:
        return self.manifest.get("tables") or {}

    def has_table(self, table: str) -> bool:
        return table in self.tables()

    def columns(self, table: str) -> list[str]:
        # Each column is {name, type, description}; releases before descriptions listed names.
        listed = self.tables().get(table, {}).get("columns") or []
        return [c["name"] if isinstance(c, dict) else c for c in listed]

    def has_column(self, table: str, column: str) -> bool:
        return column in self.columns(table)

    def rows(self, table: str) -> int | None:
        return self.tables().get(table, {}).get("rows")


def live_release(publish_dir: Path) -> Release | None:
    """The release BI tools read now, or None when nothing is published yet."""
    link = publish_dir / CURRENT
    if link.is_symlink() or link.is_dir():
        folder = Path(os.path.realpath(link))
    elif (publish_dir / MANIFEST).is_file() and (publish_dir / DATABASE).is_file():
        # A published set copied somewhere as plain files (no release history).
        folder = publish_dir
    else:
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return Release(str(manifest.get("release_id") or folder.name), folder, manifest)


def query(release: Release, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    """Run one read-only query on the release's database and close it right away."""
    if not release.database.is_file():
        raise ReleaseGone(f"{release.database} is gone")
    try:
        con = duckdb.connect(str(release.database), read_only=True)
    except duckdb.IOException as exc:
        if not release.database.is_file():
            raise ReleaseGone(f"{release.database} is gone") from exc
        raise
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()
