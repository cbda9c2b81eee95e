"""Write-audit-publish: copy the audited marts into a release BI tools read, atomically.

Layout of the publish folder:

    releases/<release id>/marts.duckdb       the marts, readable by DuckDB 1.4 and later
    releases/<release id>/parquet/<t>.parquet
    releases/<release id>/manifest.json      run id, as_of_date, rows and checksum per table, gates
    current -> releases/<release id>         switched with one rename: the only moment of change
    marts.duckdb, parquet, manifest.json     fixed links through `current`
    as_of/<date> -> as_of/.releases/<id>     a past date's set, same layout, its own manifest

A run whose as_of_date is earlier than the live release's (a backfill, a re-run of a
past month end) never replaces the live set: it is archived under `as_of/<date>`,
switched in the same way, and `current` stays as it was.

A release is written whole beside the live one, then `current` is replaced by a rename,
so a reader sees the previous set or the new one, never a mix, and a crash at any point
leaves the previous set in place. Readers never open the working warehouse, so a run
never holds a lock they wait on. The last few releases are kept for rollback.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.core.catalog import TableDoc, documented_tables
from pipelines.core.sql import quote_identifier as _q
from pipelines.core.sql import quote_literal as _lit

RELEASES = "releases"
CURRENT = "current"
MANIFEST = "manifest.json"
DATABASE = "marts.duckdb"
PARQUET = "parquet"
# Older readers (BI drivers embed DuckDB 1.4/1.5) cannot open newer storage versions.
STORAGE_VERSION = "v1.4.0"
KEEP_RELEASES = 3
ARCHIVE = "as_of"

# The published tables and the order their rows are written in, so the same content
# gives the same files.
PUBLISHED_TABLES: dict[str, tuple[str, ...]] = {
    "customer_value": ("customer_id",),
    "pareto_summary": ("as_of_date",),
    "pareto_curve": ("measure", "customer_rank"),
    "quadrant_summary": ("sort_order",),
    "churn_analysis": ("dimension", "dimension_value"),
    "customer_tier_history": ("month_end", "customer_id"),
    "tier_migration": ("dimension", "from_month_end", "to_month_end", "from_value", "to_value"),
    "profit_band_summary": ("sort_order",),
    "segment_summary": ("dimension", "value"),
    "cohort_retention": ("cohort_month", "month_offset"),
    "customer_predictions": ("customer_id",),
    "clv_model": ("model",),
    "churn_status_predictions": ("sort_order",),
}


class PublishError(RuntimeError):
    """The release could not be written; the live one is untouched."""


@dataclass(frozen=True)
class Release:
    release_id: str
    path: Path
    manifest: dict

    @property
    def archived(self) -> bool:
        return self.path.parent.name == f".{RELEASES}" and self.path.parent.parent.name == ARCHIVE


def table_checksum(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """A checksum of a table's content that does not depend on row order."""
    rows, digest = con.execute(f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {relation} AS t").fetchone()
    return f"{rows}:{digest}"


# The column types BI readers get, the same in marts.duckdb and in Parquet: whole
# numbers BIGINT (no HUGEINT), money, shares and scores DOUBLE (no DECIMAL(38,18)),
# and dates, text and flags as they are. docs/bi.md lists them.
PUBLISHED_TYPES = ("VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP")
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
_FLOAT_TYPES = {"FLOAT", "REAL", "DOUBLE"}


def published_type(table: str, column: str, warehouse_type: str) -> str:
    """The type a warehouse column is published as; an unknown type is an error rather
    than something a BI driver may misread."""
    kind = warehouse_type.upper()
    if kind in _INTEGER_TYPES:
        return "BIGINT"
    if kind in _FLOAT_TYPES or kind.startswith("DECIMAL"):
        return "DOUBLE"
    if kind in PUBLISHED_TYPES:
        return kind
    if kind.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    raise PublishError(f"{table}.{column}: type {warehouse_type} has no published type (one of {PUBLISHED_TYPES})")


def _comment(con: duckdb.DuckDBPyConnection, target: str, doc: TableDoc | None, columns: list[str]) -> None:
    if doc is None:
        return
    if doc.description:
        con.execute(f"COMMENT ON TABLE {target} IS {_lit(doc.description)}")
    for column in columns:
        if doc.columns.get(column):
            con.execute(f"COMMENT ON COLUMN {target}.{_q(column)} IS {_lit(doc.columns[column])}")


def _write_release(
    warehouse: Path,
    folder: Path,
    schema: str,
    tables: dict[str, tuple[str, ...]],
    duckdb_config: dict[str, str | int],
) -> dict[str, dict]:
    (folder / PARQUET).mkdir(parents=True)
    docs = documented_tables()
    con = duckdb.connect(config=dict(duckdb_config))
    try:
        con.execute(f"ATTACH {_lit(str(warehouse))} AS warehouse (READ_ONLY)")
        con.execute(f"ATTACH {_lit(str(folder / DATABASE))} AS release (STORAGE_VERSION '{STORAGE_VERSION}')")
        summary: dict[str, dict] = {}
        for table, order_by in tables.items():
            source = f"warehouse.{_q(schema)}.{_q(table)}"
            described = con.execute(f"DESCRIBE {source}").fetchall()
            types = {name: published_type(table, name, kind) for name, kind, *_ in described}
            select = ", ".join(f"CAST({_q(name)} AS {kind}) AS {_q(name)}" for name, kind in types.items())
            ordered = ", ".join(_q(c) for c in order_by)
            target = f"release.main.{_q(table)}"
            con.execute(f"CREATE TABLE {target} AS SELECT {select} FROM {source} ORDER BY {ordered}")
            doc = docs.get(table)
            _comment(con, target, doc, list(types))
            con.execute(
                f"COPY (SELECT * FROM {target}) TO {_lit(str(folder / PARQUET / (table + '.parquet')))} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
            summary[table] = {
                "rows": con.execute(f"SELECT count(*) FROM {target}").fetchone()[0],
                "checksum": table_checksum(con, target),
                "description": doc.description if doc else "",
                "columns": [
                    {"name": name, "type": kind, "description": (doc.columns.get(name, "") if doc else "")}
                    for name, kind in types.items()
                ],
            }
        con.execute("DETACH release")
        return summary
    finally:
        con.close()


def _make_read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def _link(target: str, link: Path) -> None:
    """Point `link` at `target` with a rename, so the switch is atomic."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(target, temporary)
    os.replace(temporary, link)


def _ensure_entry_links(publish_dir: Path) -> None:
    for name in (DATABASE, PARQUET, MANIFEST):
        link = publish_dir / name
        target = f"{CURRENT}/{name}"
        if link.is_symlink() and os.readlink(link) == target:
            continue
        if link.exists() and not link.is_symlink():
            raise PublishError(f"{link} exists and is not a link into {CURRENT}/; move it away")
        _link(target, link)


def current_release(publish_dir: Path) -> Release | None:
    link = publish_dir / CURRENT
    if not link.is_symlink():
        return None
    path = (publish_dir / os.readlink(link)).resolve()
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    return Release(path.name, path, manifest)


def releases(publish_dir: Path) -> list[Path]:
    folder = publish_dir / RELEASES
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and (p / MANIFEST).exists())


def _prune(publish_dir: Path, keep: int) -> None:
    live = current_release(publish_dir)
    for old in releases(publish_dir)[:-keep]:
        if live and old.name == live.release_id:
            continue
        _remove(old)
    # Releases left half-written by a crash have no manifest: never live, safe to drop.
    for partial in (publish_dir / RELEASES).glob(".building-*"):
        _remove(partial)


def _remove(path: Path) -> None:
    for child in path.rglob("*"):
        if child.is_file():
            child.chmod(stat.S_IRUSR | stat.S_IWUSR)
    path.chmod(stat.S_IRWXU)
    for child in path.rglob("*"):
        if child.is_dir():
            child.chmod(stat.S_IRWXU)
    shutil.rmtree(path, ignore_errors=True)


def publish(
    warehouse: Path,
    publish_dir: Path,
    *,
    run_id: str,
    as_of_date: str | None,
    gates: list[dict],
    schema: str = "marts",
    tables: dict[str, tuple[str, ...]] | None = None,
    keep: int = KEEP_RELEASES,
    duckdb_config: dict[str, str | int] | None = None,
    reporting_currency: str | None = None,
    engine: str = "duckdb",
) -> Release:
    """Write a new release of the marts and make it the live one.

    `duckdb_config` (memory_limit, threads, temp_directory) bounds the copy: without a
    memory limit DuckDB may take most of the machine's memory to sort the largest mart.
    """
    tables = tables or PUBLISHED_TABLES
    published_at = datetime.now(UTC).replace(microsecond=0)
    release_id = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{run_id[:8]}"
    archive = is_past_date(publish_dir, as_of_date)
    root = publish_dir / ARCHIVE / f".{RELEASES}" if archive else publish_dir / RELEASES
    root.mkdir(parents=True, exist_ok=True)
    building = root / f".building-{release_id}"
    final = root / release_id
    if building.exists():
        _remove(building)
    try:
        summary = _write_release(warehouse, building, schema, tables, duckdb_config or {})
    except duckdb.Error as exc:
        _remove(building)
        raise PublishError(f"could not copy the marts from {warehouse}: {exc}") from exc
    except PublishError:
        _remove(building)
        raise
    manifest = {
        "release_id": release_id,
        "run_id": run_id,
        "as_of_date": as_of_date,
        # The currency of every money column, for readers that label their axes.
        "reporting_currency": reporting_currency,
        # The engine the marts were built and audited on (CCP_ENGINE).
        "engine": engine,
        "published_at": published_at.isoformat(),
        "storage_version": STORAGE_VERSION,
        "tables": summary,
        "gates": gates,
    }
    (building / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    _make_read_only(building)
    os.replace(building, final)
    if archive:
        return _archive(publish_dir, as_of_date, final, manifest)
    _link(f"{RELEASES}/{release_id}", publish_dir / CURRENT)
    _ensure_entry_links(publish_dir)
    _prune(publish_dir, keep)
    return Release(release_id, final, manifest)


def is_past_date(publish_dir: Path, as_of_date: str | None) -> bool:
    """Whether a set as of this date belongs in the archive: it is earlier than the live
    release's date. Dates in ISO form compare as text."""
    live = current_release(publish_dir)
    live_date = live.manifest.get("as_of_date") if live else None
    return bool(as_of_date and live_date and as_of_date < live_date)


def _archive(publish_dir: Path, as_of_date: str, final: Path, manifest: dict) -> Release:
    """Make `final` the archived set of its date, replacing an earlier one of that date."""
    link = publish_dir / ARCHIVE / as_of_date
    previous = (link.parent / os.readlink(link)).resolve() if link.is_symlink() else None
    if link.exists() and not link.is_symlink():
        _remove(final)
        raise PublishError(f"{link} exists and is not a link into {ARCHIVE}/.{RELEASES}/; move it away")
    _link(f".{RELEASES}/{final.name}", link)
    if previous is not None and previous != final:
        _remove(previous)
    for partial in final.parent.glob(".building-*"):
        _remove(partial)
    return Release(final.name, final, manifest)


def archived_releases(publish_dir: Path) -> dict[str, Release]:
    """The archived sets of past dates, by as_of_date, oldest first."""
    folder = publish_dir / ARCHIVE
    if not folder.is_dir():
        return {}
    found = {}
    for link in sorted(folder.iterdir()):
        if link.name.startswith(".") or not (link / MANIFEST).exists():
            continue
        path = link.resolve()
        found[link.name] = Release(path.name, path, json.loads((path / MANIFEST).read_text(encoding="utf-8")))
    return found


def rollback(publish_dir: Path) -> Release:
    """Make the release before the live one live again."""
    live = current_release(publish_dir)
    names = [p.name for p in releases(publish_dir)]
    if live is None or live.release_id not in names or names.index(live.release_id) == 0:
        raise PublishError(f"no earlier release to roll back to in {publish_dir / RELEASES}")
    previous = names[names.index(live.release_id) - 1]
    _link(f"{RELEASES}/{previous}", publish_dir / CURRENT)
    return current_release(publish_dir)
