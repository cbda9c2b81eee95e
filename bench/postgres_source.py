"""Measure pulling order lines from PostgreSQL into DuckDB (docs/sources.md).

    python -m bench.postgres_source seed URL [--rows 1000000]
    python -m bench.postgres_source pull URL [--page-rows 100000]
    python -m bench.postgres_source contender NAME URL

`seed` (re)creates an `order_lines` table of the contract's columns plus `updated_at`
with ROWS rows (many sharing one updated_at). `pull` runs the pipeline's own pull
(`pipelines.ingest.postgres.pull_table`: cursor, row checks, quarantine, ledger) into a
fresh warehouse. `contender` moves the same rows, read as text in cursor order, into a
DuckDB table with one library and no checks: adbc, psycopg (server-side cursor),
psycopg-copy (COPY to CSV, then DuckDB's reader), connectorx, dlt (sql_database source,
pyarrow backend, incremental on updated_at). Libraries other than ADBC are not
dependencies of the project: run those with a Python that has them, e.g.
`uv run --with connectorx python -m bench.postgres_source contender connectorx URL`.
Each prints rows, wall seconds and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

COLUMNS = ["order_id", "line_number", "product_id", "product_category", "quantity", "unit_price"]
COLUMNS += ["discount_amount", "unit_cost"]
QUERY = (
    "SELECT "
    + ", ".join(f"{c}::text AS {c}" for c in COLUMNS)
    + ", updated_at::text AS _cursor FROM order_lines ORDER BY updated_at, order_id, line_number::text"
)


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def seed(url: str, rows: int) -> None:
    import adbc_driver_postgresql.dbapi as adbc

    with adbc.connect(url) as pg, pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS order_lines")
        cur.execute(
            """CREATE TABLE order_lines (
                order_id text NOT NULL, line_number integer NOT NULL, product_id text, product_category text,
                quantity numeric(18, 6), unit_price numeric(18, 6), discount_amount numeric(18, 6),
                unit_cost numeric(18, 6), updated_at timestamp NOT NULL, PRIMARY KEY (order_id, line_number))"""
        )
        cur.execute(
            f"""INSERT INTO order_lines
            SELECT 'O' || lpad((g / 3)::text, 8, '0'), g % 3 + 1, 'P' || g % 5000, '类别' || g % 17,
                1 + g % 7, (g % 997) / 3.0, g % 13, (g % 500) / 7.0,
                timestamp '2024-01-01' + ((g / 10) || ' seconds')::interval
            FROM generate_series(0, {rows - 1}) AS g"""
        )
        cur.execute("CREATE INDEX ON order_lines (updated_at)")
        cur.execute("ANALYZE order_lines")
        pg.commit()
    print(f"seeded order_lines with {rows:,} rows")


def pull(url: str, page_rows: int) -> None:
    from pipelines.ingest.contract import TABLES_BY_NAME
    from pipelines.ingest.postgres import PostgresSource, pull_table

    with tempfile.TemporaryDirectory() as work:
        con = duckdb.connect(str(Path(work) / "w.duckdb"), config={"memory_limit": "1GB"})
        started = time.perf_counter()
        report = pull_table(con, TABLES_BY_NAME["order_lines"], PostgresSource(url, page_rows=page_rows), date.today())
        seconds = time.perf_counter() - started
        con.close()
    print(
        f"pull page_rows={page_rows}: batches={len(report.files)} rows={report.rows_read:,} "
        f"seconds={seconds:.1f} peak_rss_mb={_peak_mb()}"
    )


def _adbc(url: str, con: duckdb.DuckDBPyConnection) -> None:
    import adbc_driver_postgresql.dbapi as adbc

    with adbc.connect(url) as pg, pg.cursor() as cur:
        cur.execute(QUERY)
        con.register("pulled", cur.fetch_record_batch())
        con.execute("CREATE TABLE t AS SELECT * FROM pulled")


def _psycopg(url: str, con: duckdb.DuckDBPyConnection) -> None:
    import psycopg
    import pyarrow as pa

    with psycopg.connect(url) as pg, pg.cursor(name="pull") as cur:
        cur.itersize = 50_000
        cur.execute(QUERY)
        first = True
        while rows := cur.fetchmany(50_000):
            names = [d.name for d in cur.description]
            con.register("page", pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows]))
            con.execute("CREATE TABLE t AS SELECT * FROM page" if first else "INSERT INTO t SELECT * FROM page")
            first = False


def _psycopg_copy(url: str, con: duckdb.DuckDBPyConnection) -> None:
    import psycopg

    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "rows.csv"
        with (
            psycopg.connect(url) as pg,
            pg.cursor() as cur,
            path.open("wb") as fh,
            cur.copy(f"COPY ({QUERY}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy,
        ):
            for chunk in copy:
                fh.write(chunk)
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', all_varchar = true)")


def _connectorx(url: str, con: duckdb.DuckDBPyConnection) -> None:
    import connectorx

    con.register("pulled", connectorx.read_sql(url, QUERY, return_type="arrow"))
    con.execute("CREATE TABLE t AS SELECT * FROM pulled")


def _dlt(url: str, database: Path) -> None:
    import dlt
    from dlt.sources.sql_database import sql_table

    table = sql_table(
        credentials=url.replace("postgresql://", "postgresql+psycopg2://"),
        table="order_lines",
        backend="pyarrow",
        incremental=dlt.sources.incremental("updated_at"),
        chunk_size=50_000,
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench",
        destination=dlt.destinations.duckdb(str(database)),
        dataset_name="raw",
        pipelines_dir=str(database.parent / "dlt"),
    )
    pipeline.run(table)


def contender(name: str, url: str) -> None:
    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / "c.duckdb"
        started = time.perf_counter()
        if name == "dlt":
            _dlt(url, database)
            con = duckdb.connect(str(database))
            con.execute("CREATE VIEW t AS SELECT * FROM raw.order_lines")
        else:
            con = duckdb.connect(str(database))
            {"adbc": _adbc, "psycopg": _psycopg, "psycopg-copy": _psycopg_copy, "connectorx": _connectorx}[name](
                url, con
            )
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
        seconds = time.perf_counter() - started
        con.close()
    print(f"{name}: rows={rows:,} seconds={seconds:.1f} peak_rss_mb={_peak_mb()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("url")
    seeding.add_argument("--rows", type=int, default=1_000_000)
    pulling = commands.add_parser("pull")
    pulling.add_argument("url")
    pulling.add_argument("--page-rows", type=int, default=100_000)
    other = commands.add_parser("contender")
    other.add_argument("name", choices=["adbc", "psycopg", "psycopg-copy", "connectorx", "dlt"])
    other.add_argument("url")
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.url, args.rows)
    elif args.command == "pull":
        pull(args.url, args.page_rows)
    else:
        contender(args.name, args.url)


if __name__ == "__main__":
    main()
