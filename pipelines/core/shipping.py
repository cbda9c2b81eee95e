"""Tables between the DuckDB warehouse and the engine of a run (pipelines/core/engines.py).

`ship_tables` copies DuckDB tables to the engine, each replaced whole so a reader
sees the old table or the new one: into PostgreSQL by COPY in one transaction, to
Spark as a folder of Parquet files swapped in by rename and registered as a table by
dbt (macros/engines.sql). `fetch_tables` copies engine tables into a DuckDB database
under the same schema and table names, for the steps that read the engine's results
in DuckDB (the customer-base models, publish). On the duckdb engine there is nothing
to ship: every step reads and writes the warehouse itself.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pipelines.core.engines import POSTGRES, SPARK, EngineResource
from pipelines.core.sql import quote_identifier as _q
from pipelines.core.sql import quote_literal as _lit

# Bytes per COPY message: large enough to keep the round trips few.
_COPY_CHUNK = 1 << 20


class ShippingError(RuntimeError):
    """A table could not be copied between DuckDB and the engine; the message names it."""


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in con.execute(f"DESCRIBE {_q(schema)}.{_q(table)}").fetchall()]


# DuckDB column types as PostgreSQL writes them; anything else is an error, not a guess.
def _postgres_type(kind: str) -> str:
    upper = kind.upper()
    simple = {
        "VARCHAR": "text",
        "BOOLEAN": "boolean",
        "TINYINT": "smallint",
        "SMALLINT": "smallint",
        "INTEGER": "integer",
        "BIGINT": "bigint",
        "HUGEINT": "numeric(38, 0)",
        "FLOAT": "real",
        "DOUBLE": "double precision",
        "DATE": "date",
        "TIMESTAMP": "timestamp",
        "TIMESTAMP WITH TIME ZONE": "timestamptz",
        "JSON": "jsonb",
    }
    if upper in simple:
        return simple[upper]
    if upper.startswith("DECIMAL"):
        return upper.replace("DECIMAL", "numeric")
    raise ShippingError(f"DuckDB type {kind} has no PostgreSQL counterpart here")


# PostgreSQL column types (information_schema.columns.data_type) as DuckDB reads them.
# Unconstrained numeric (sums, averages, divisions) reads as DOUBLE: published money,
# shares and scores are DOUBLE on every engine (pipelines/publish/release.py).
_FROM_POSTGRES = {
    "text": "VARCHAR",
    "character varying": "VARCHAR",
    "character": "VARCHAR",
    "boolean": "BOOLEAN",
    "smallint": "SMALLINT",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "real": "FLOAT",
    "double precision": "DOUBLE",
    "numeric": "DOUBLE",
    "date": "DATE",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMPTZ",
}


def ship_tables(
    con: duckdb.DuckDBPyConnection, engine: EngineResource, tables: Sequence[tuple[str, str]], *, scratch: Path
) -> dict[str, int]:
    """Copy each DuckDB table (schema, table) to the engine under the same name, replacing
    what is there. Returns rows shipped per `schema.table`. `scratch` holds files in flight."""
    if engine.kind == POSTGRES:
        return _ship_to_postgres(con, engine, tables, scratch)
    if engine.kind == SPARK:
        return _ship_to_spark(con, engine, tables)
    return {}


def _ship_to_postgres(
    con: duckdb.DuckDBPyConnection, engine: EngineResource, tables: Sequence[tuple[str, str]], scratch: Path
) -> dict[str, int]:
    shipped: dict[str, int] = {}
    scratch.mkdir(parents=True, exist_ok=True)
    with engine.postgres_connection() as pg:
        for schema, table in tables:
            columns = _columns(con, schema, table)
            definition = ", ".join(f"{_q(name)} {_postgres_type(kind)}" for name, kind in columns)
            # CSV with every value quoted: an empty string stays one, an unquoted empty
            # field is NULL, on both sides.
            with tempfile.NamedTemporaryFile(dir=scratch, suffix=".csv", delete=False) as handle:
                path = Path(handle.name)
            try:
                con.execute(
                    f"COPY (SELECT * FROM {_q(schema)}.{_q(table)}) TO {_lit(str(path))} "
                    "(FORMAT csv, HEADER false, FORCE_QUOTE *)"
                )
                target = f"{_q(schema)}.{_q(table)}"
                with pg.transaction(), pg.cursor() as cursor:
                    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(schema)}")
                    cursor.execute(f"DROP TABLE IF EXISTS {target}")
                    cursor.execute(f"CREATE TABLE {target} ({definition})")
                    with cursor.copy(f"COPY {target} FROM STDIN (FORMAT csv)") as copy, path.open("rb") as data:
                        while chunk := data.read(_COPY_CHUNK):
                            copy.write(chunk)
                    cursor.execute(f"SELECT count(*) FROM {target}")
                    shipped[f"{schema}.{table}"] = cursor.fetchone()[0]
                    cursor.execute(f"ANALYZE {target}")
            except Exception as exc:
                raise ShippingError(f"could not ship {schema}.{table} to {engine.display}: {exc}") from exc
            finally:
                path.unlink(missing_ok=True)
    return shipped


def _ship_to_spark(
    con: duckdb.DuckDBPyConnection, engine: EngineResource, tables: Sequence[tuple[str, str]]
) -> dict[str, int]:
    shipped: dict[str, int] = {}
    for schema, table in tables:
        folder = engine.spark_shipped_dir(schema, table)
        folder.parent.mkdir(parents=True, exist_ok=True)
        building = folder.with_name(f".{table}.{os.getpid()}.building")
        old = folder.with_name(f".{table}.{os.getpid()}.old")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        # Decimals travel as doubles: Spark keeps a product of two decimals to 6
        # places once it passes 38 digits, where DuckDB and PostgreSQL keep every digit;
        # doubles keep all of them to 1e-15 relative on every engine.
        select = ", ".join(
            f"CAST({_q(name)} AS DOUBLE) AS {_q(name)}" if kind.upper().startswith("DECIMAL") else _q(name)
            for name, kind in _columns(con, schema, table)
        )
        try:
            con.execute(
                f"COPY (SELECT {select} FROM {_q(schema)}.{_q(table)}) "
                f"TO {_lit(str(building / 'part-0.parquet'))} (FORMAT parquet, COMPRESSION zstd)"
            )
        except duckdb.Error as exc:
            shutil.rmtree(building, ignore_errors=True)
            raise ShippingError(f"could not ship {schema}.{table} to {engine.display}: {exc}") from exc
        # The folder is swapped, never rewritten in place: Spark reads one whole set.
        if folder.exists():
            os.replace(folder, old)
        os.replace(building, folder)
        shutil.rmtree(old, ignore_errors=True)
        shipped[f"{schema}.{table}"] = con.execute(f"SELECT count(*) FROM {_q(schema)}.{_q(table)}").fetchone()[0]
    return shipped


def fetch_tables(
    engine: EngineResource, tables: Sequence[tuple[str, str]], con: duckdb.DuckDBPyConnection, *, scratch: Path
) -> dict[str, int]:
    """Copy each engine table (schema, table) into DuckDB under the same name."""
    if engine.kind == POSTGRES:
        return _fetch_from_postgres(engine, tables, con, scratch)
    if engine.kind == SPARK:
        return _fetch_from_spark(engine, tables, con)
    raise ShippingError("the duckdb engine's tables are in the warehouse already")


def _fetch_from_postgres(
    engine: EngineResource, tables: Sequence[tuple[str, str]], con: duckdb.DuckDBPyConnection, scratch: Path
) -> dict[str, int]:
    fetched: dict[str, int] = {}
    scratch.mkdir(parents=True, exist_ok=True)
    with engine.postgres_connection() as pg, pg.cursor() as cursor:
        for schema, table in tables:
            cursor.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                [schema, table],
            )
            columns = cursor.fetchall()
            if not columns:
                raise ShippingError(f"{engine.display} has no table {schema}.{table}")
            types = {}
            for name, kind in columns:
                if kind not in _FROM_POSTGRES:
                    raise ShippingError(f"{schema}.{table}.{name}: PostgreSQL type {kind} has no DuckDB counterpart")
                types[name] = _FROM_POSTGRES[kind]
            with tempfile.NamedTemporaryFile(dir=scratch, suffix=".csv", delete=False) as handle:
                path = Path(handle.name)
            try:
                select = ", ".join(_q(name) for name in types)
                with (
                    path.open("wb") as out,
                    cursor.copy(
                        f"COPY (SELECT {select} FROM {_q(schema)}.{_q(table)}) TO STDOUT (FORMAT csv, FORCE_QUOTE *)"
                    ) as copy,
                ):
                    for chunk in copy:
                        out.write(chunk)
                spec = "{" + ", ".join(f"{_lit(name)}: {_lit(kind)}" for name, kind in types.items()) + "}"
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(schema)}")
                con.execute(
                    f"CREATE OR REPLACE TABLE {_q(schema)}.{_q(table)} AS SELECT * FROM read_csv({_lit(str(path))}, "
                    f"columns = {spec}, header = false, quote = '\"', escape = '\"', allow_quoted_nulls = false, "
                    "auto_detect = false)"
                )
                fetched[f"{schema}.{table}"] = con.execute(f"SELECT count(*) FROM {_q(schema)}.{_q(table)}").fetchone()[
                    0
                ]
            except ShippingError:
                raise
            except Exception as exc:
                raise ShippingError(f"could not read {schema}.{table} from {engine.display}: {exc}") from exc
            finally:
                path.unlink(missing_ok=True)
    return fetched


def _fetch_from_spark(
    engine: EngineResource, tables: Sequence[tuple[str, str]], con: duckdb.DuckDBPyConnection
) -> dict[str, int]:
    from pipelines.core.spark import spark_session

    spark = spark_session(engine)
    fetched: dict[str, int] = {}
    for schema, table in tables:
        try:
            arrow = spark.table(f"{schema}.{table}").toArrow()
        except Exception as exc:
            raise ShippingError(f"could not read {schema}.{table} from {engine.display}: {exc}") from exc
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(schema)}")
        con.register("_fetched", arrow)
        try:
            con.execute(f"CREATE OR REPLACE TABLE {_q(schema)}.{_q(table)} AS SELECT * FROM _fetched")
        finally:
            con.unregister("_fetched")
        fetched[f"{schema}.{table}"] = arrow.num_rows
    return fetched
