"""The "floor": one hand-written DuckDB script (floor.sql) computing customer_value and
pareto_summary straight from the landing files, on one in-process connection.

    compute(landing_dir, as_of_date=None, **settings) -> {"customer_value": ..., "pareto_summary": ...}

It is the speed floor of the benchmark: no staging, no dbt, no intermediate files, just
the rules. The rules and every interpretation choice are those of
`bench.baselines.pandas_rules` (see its docstring); the settings and their defaults too.

Reading: a table's batches are its `*.csv` / `*.parquet` files (hidden files ignored),
in file-name order, each read on its own (CSV with the column types of its header line,
no sniffing; Parquet, whose columns are text, cast) and tagged with its position in
that order, `_batch`, an integer that sorts like the file name.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from bench.baselines.pandas_rules import DEFAULTS, TABLES, landed_files
from pipelines.core.sql import quote_literal

SQL_FILE = Path(__file__).with_name("floor.sql")

_TYPES = {"str": "VARCHAR", "float64": "DOUBLE", "int64": "BIGINT", "timestamp": "TIMESTAMP"}


def _header(path: Path) -> tuple[str, ...]:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        return tuple(next(csv.reader([fh.readline()]), []))


def source(landing_dir: Path, name: str, wanted: dict[str, str] | None = None) -> str:
    """A relation of the table's batches: the columns the rules need, typed, plus _batch,
    the batch's position in file-name order (an integer sorts faster than a path).
    `wanted` maps other columns to their DuckDB types (floor_all reads more of them)."""
    src, _key, kinds = TABLES[name]
    wanted = wanted or {c: _TYPES[k] for c, k in kinds.items()}
    names = ", ".join(f'"{c}"' for c in wanted)
    parts = []
    for batch, path in enumerate(landed_files(landing_dir, src, name)):
        if path.suffix.lower() == ".csv":
            header = _header(path)
            missing = [c for c in wanted if c not in header]
            if missing:
                raise ValueError(f"{path}: lacks column(s) {missing}")
            columns = (
                "{" + ", ".join(f"{quote_literal(c)}: {quote_literal(wanted.get(c, 'VARCHAR'))}" for c in header) + "}"
            )
            parts.append(
                f"SELECT {names}, {batch} AS _batch FROM read_csv({quote_literal(path.as_posix())}, header = true, "
                f"auto_detect = false, columns = {columns}, delim = ',', quote = '\"', escape = '\"')"
            )
        else:
            casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in wanted.items())
            parts.append(f"SELECT {casts}, {batch} AS _batch FROM read_parquet({quote_literal(path.as_posix())})")
    if not parts:
        nulls = ", ".join(f'CAST(NULL AS {t}) AS "{c}"' for c, t in wanted.items())
        parts.append(f"SELECT {nulls}, 0 AS _batch WHERE false")
    return "(" + "\nUNION ALL ".join(parts) + ")"


def render(landing_dir: Path, as_of_date: date | None = None, **settings) -> str:
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    values = {**DEFAULTS, **settings}
    # Comments go first: they name the placeholders too.
    sql = "\n".join(
        line for line in SQL_FILE.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("--")
    )
    for name in TABLES:
        sql = sql.replace(f"@{name}@", source(landing_dir, name))
    sql = sql.replace("@as_of@", f"DATE {quote_literal(as_of_date.isoformat())}" if as_of_date else "NULL")
    for name, value in values.items():
        text = str(value) if not isinstance(value, str) else value.replace("'", "''")
        sql = sql.replace(f"@{name}@", text)
    return sql


def statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";\n") if s.strip().strip(";")]


def compute(
    landing_dir: Path, as_of_date: date | None = None, con: duckdb.DuckDBPyConnection | None = None, **settings
) -> dict[str, pd.DataFrame]:
    landing_dir = Path(landing_dir)
    sql = render(landing_dir, as_of_date, **settings)
    own = con is None
    con = con or duckdb.connect()
    try:
        for statement in statements(sql):
            con.execute(statement)
        return {
            "customer_value": con.execute("SELECT * FROM customer_value").df(),
            "pareto_summary": con.execute("SELECT * FROM pareto_summary").df(),
        }
    finally:
        if own:
            con.close()
