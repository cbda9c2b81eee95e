"""The short human summary `make run` prints, read from the warehouse after a run."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.ingest.contract import TABLES
from pipelines.ingest.loader import LEDGER, QUARANTINE
from pipelines.settings import Settings
from pipelines.warehouse import connect


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def ingest_summary(con: duckdb.DuckDBPyConnection) -> list[str]:
    lines = ["Raw tables (files, rows read = loaded + quarantined):"]
    for table in TABLES:
        files, read, loaded, quarantined = con.execute(
            f"""SELECT count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                       coalesce(sum(rows_quarantined), 0)
                FROM {LEDGER} WHERE table_name = ?""",
            [table.name],
        ).fetchone()
        lines.append(
            f"  raw.{table.name:<13} {files:>4} files  {read:>11,} = {loaded:>11,} + {quarantined:,}"
        )
    reasons = con.execute(
        f"""SELECT table_name, column_name, count(*) AS n FROM {QUARANTINE}
            GROUP BY ALL ORDER BY n DESC, table_name, column_name LIMIT 8"""
    ).fetchall()
    if reasons:
        lines.append(f"Quarantined rows by table and column (all in {QUARANTINE}):")
        lines += [f"  {t}.{c}: {n:,}" for t, c, n in reasons]
    return lines


def model_summary(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
        [schema],
    ).fetchall()
    lines = []
    for (name,) in tables:
        rows = con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
        lines.append(f"  {schema}.{name:<32} {rows:>11,} rows")
    return lines


def summary(settings: Settings) -> str:
    if not settings.warehouse.exists():
        return f"No warehouse at {settings.warehouse} yet."
    with connect(settings.warehouse, read_only=True) as con:
        lines = ingest_summary(con) if _exists(con, "raw", "ingest_ledger") else []
        for schema in ("staging", "intermediate", "marts"):
            models = model_summary(con, schema)
            if models:
                lines.append(f"{schema.capitalize()} models:")
                lines += models
    lines.append(f"Warehouse: {_shown(settings.warehouse)}")
    return "\n".join(lines)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
