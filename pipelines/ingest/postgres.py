"""Pull the sales tables from a PostgreSQL database instead of landed files.

Each table is read in the order of its cursor, `updated_at` then the key, from the
last committed cursor on, in one query (one snapshot, one sort) whose Arrow batches
stream through ADBC into DuckDB. Every `page_rows` rows make one batch, checked and
loaded by the same rules as a landed file (`loader.load_batches`): bad rows go to
quarantine naming the table, the row's key and the column, the ledger counts rows
read = loaded + quarantined, and a later batch restates a key. The cursor is written
in the batch's own transaction, so a pull stopped anywhere resumes after the last
committed batch, losing and repeating nothing.

What the source must offer: the contract's columns (any type that reads back from
its text form: text, numeric, integer, date, timestamp with or without time zone), a
unique key, and an `updated_at` column that is set on every insert and update and
never goes back (docs/sources.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pyarrow as pa

from pipelines.core.engines import redact
from pipelines.core.errors import first_line as _first_line
from pipelines.core.sql import quote_identifier as _q
from pipelines.core.sql import quote_literal as _lit
from pipelines.ingest.contract import Table
from pipelines.ingest.loader import (
    LEDGER,
    RAW_SCHEMA,
    Batch,
    FileResult,
    TableReport,
    ensure_raw_schema,
    load_batches,
)

CURSOR_COLUMN = "updated_at"
CURSORS = f"{RAW_SCHEMA}.source_cursors"
# Pulled batches are named `postgresql-<sequence>`: they sort in pull order, so a
# later pull restates an earlier one.
BATCH_PREFIX = "postgresql-"
_PAGE = "_pg_page"


class SourceRejected(Exception):
    """A source table that cannot be pulled at all; the message says which and why."""

    def __init__(self, where: str, problem: str, column: str | None = None):
        self.where, self.problem, self.column = where, problem, column
        place = f"{where}, column {column!r}" if column else where
        super().__init__(f"{place}: {problem}")


@dataclass(frozen=True)
class PostgresSource:
    url: str
    schema: str = "public"
    page_rows: int = 100_000
    # A `timestamp with time zone` reads as the wall-clock time in this zone (the
    # business timezone), like the zone-less timestamps of landed files.
    timezone: str = "UTC"

    @property
    def display(self) -> str:
        """The URL without its password, for labels, logs and errors."""
        return redact(self.url)

    def where(self, table: Table) -> str:
        return f"{self.display}/{self.schema}.{table.name}"


def ensure_cursor_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {CURSORS} (
            table_name VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            cursor_value VARCHAR NOT NULL,
            cursor_key VARCHAR[] NOT NULL,
            batch VARCHAR NOT NULL,
            committed_at TIMESTAMP NOT NULL
        )"""
    )


def committed_cursor(con: duckdb.DuckDBPyConnection, table: Table, where: str) -> tuple[str, list[str]] | None:
    """The cursor (updated_at as text, key values as text) after the last committed batch."""
    rows = con.execute(
        f"SELECT cursor_value, cursor_key FROM {CURSORS} WHERE table_name = ? AND source = ?", [table.name, where]
    ).fetchall()
    return (rows[0][0], list(rows[0][1])) if rows else None


def _connect(source: PostgresSource, where: str):
    import adbc_driver_postgresql.dbapi as adbc

    try:
        return adbc.connect(source.url)
    except adbc.Error as exc:
        raise SourceRejected(where, f"cannot connect: {_first_line(exc)}") from exc


def _column_types(cur, source: PostgresSource, table: Table, where: str) -> dict[str, str]:
    cur.execute(
        """SELECT a.attname, format_type(a.atttypid, a.atttypmod)
        FROM pg_attribute AS a
        JOIN pg_class AS c ON c.oid = a.attrelid
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped""",
        parameters=(source.schema, table.name),
    )
    types = dict(cur.fetchall())
    if not types:
        raise SourceRejected(where, "table not found (or not readable by this user)")
    for name in [*table.column_names, CURSOR_COLUMN]:
        if name not in types:
            raise SourceRejected(where, "required column is missing from the table", column=name)
    return types


def _pull_query(source: PostgresSource, table: Table, types: dict[str, str], after: tuple[str, list[str]] | None):
    """The query reading every contract column as text, with the cursor, in cursor order
    from just after `after`. Keys compare as text in byte order ("C"), here and in the
    ORDER BY alike, so a page boundary inside one updated_at value resumes exactly."""
    keys = [f"coalesce({_q(k)}::text, '') COLLATE \"C\"" for k in table.key]
    selected = ", ".join(f"{_q(c)}::text AS {_q(c)}" for c in table.column_names)
    cursor = _q(CURSOR_COLUMN)
    sql = f"SELECT {selected}, {cursor}::text AS _cursor FROM {_q(source.schema)}.{_q(table.name)}"
    parameters: tuple = ()
    if after is None:
        sql += f" WHERE {cursor} IS NOT NULL"
    else:
        value, key = after
        typed = f"CAST($1 AS {types[CURSOR_COLUMN]})"
        key_params = ", ".join(f"${i + 2}" for i in range(len(keys)))
        sql += f" WHERE {cursor} >= {typed} AND ({cursor} > {typed} OR ({', '.join(keys)}) > ({key_params}))"
        parameters = (value, *key)
    sql += f" ORDER BY {cursor}, {', '.join(keys)}"
    return sql, parameters


def _pages(reader, page_rows: int) -> Iterator[pa.Table]:
    """Re-cut the driver's record batches into pages of `page_rows` rows (the last may be shorter)."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in reader:
        pending.append(batch)
        held += batch.num_rows
        while held >= page_rows:
            joined = pa.Table.from_batches(pending)
            yield joined.slice(0, page_rows)
            rest = joined.slice(page_rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending)


def _checksum(page: pa.Table) -> str:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, page.schema) as writer:
        writer.write_table(page)
    return hashlib.sha256(sink.getvalue()).hexdigest()


def _next_sequence(con: duckdb.DuckDBPyConnection, table: Table) -> int:
    ((latest,),) = con.execute(
        f"SELECT max(batch) FROM {LEDGER} WHERE table_name = ? AND starts_with(batch, ?)", [table.name, BATCH_PREFIX]
    ).fetchall()
    return int(latest.removeprefix(BATCH_PREFIX)) + 1 if latest else 1


def _row_reason(table: Table) -> str:
    """A quarantined row's reason, led by its key, e.g. `order_id=O-1: quantity: must be greater than 0`."""
    parts = " || ', ' || ".join(f"{_lit(k + '=')} || coalesce(_record ->> {_lit(k)}, '(missing)')" for k in table.key)
    return f"{parts} || ': ' || _reason"


def pull_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    source: PostgresSource,
    today: date,
    *,
    before_commit: Callable[[int], None] | None = None,
) -> TableReport:
    """Pull the rows of one table changed since the last committed cursor, one batch per
    `page_rows` rows, each committed with its cursor. `before_commit(n)` runs inside the
    n-th batch's transaction just before it commits (a hook to stop a pull part-way)."""
    ensure_raw_schema(con)
    ensure_cursor_table(con)
    where = source.where(table)
    report = TableReport(table)
    after = committed_cursor(con, table, where)
    sequence = _next_sequence(con, table)
    with _connect(source, where) as pg, pg.cursor() as cur:
        cur.execute(f"SET TIME ZONE {_lit(source.timezone)}")
        types = _column_types(cur, source, table, where)
        sql, parameters = _pull_query(source, table, types, after)
        try:
            cur.execute(sql, parameters=parameters)
            reader = cur.fetch_record_batch()
        except Exception as exc:
            raise SourceRejected(where, f"cannot be read: {_first_line(exc)}") from exc
        for number, page in enumerate(_pages(reader, source.page_rows), start=1):
            report.files.append(_load_page(con, table, source, where, page, sequence, today, number, before_commit))
            sequence += 1
    return report


def _load_page(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    source: PostgresSource,
    where: str,
    page: pa.Table,
    sequence: int,
    today: date,
    number: int,
    before_commit: Callable[[int], None] | None,
) -> FileResult:
    name = f"{BATCH_PREFIX}{sequence:010d}"
    batch = Batch(f"{where}/{name}", name, page.nbytes, _checksum(page))
    rows = page.append_column("_row_number", pa.array(range(1, page.num_rows + 1), pa.int64()))
    last = rows.slice(rows.num_rows - 1).to_pylist()[0]
    cursor_key = [last[k] if last[k] is not None else "" for k in table.key]
    columns = ", ".join(_q(c) for c in table.column_names)
    text_rows = f"SELECT {_lit(batch.label)} AS _file, {_lit(name)} AS _batch, {columns}, _row_number FROM {_PAGE}"

    def commit_cursor(now: datetime) -> None:
        con.execute(f"DELETE FROM {CURSORS} WHERE table_name = ? AND source = ?", [table.name, where])
        con.execute(
            f"INSERT INTO {CURSORS} VALUES (?, ?, ?, ?, ?, ?)",
            [table.name, where, last["_cursor"], cursor_key, name, now],
        )
        if before_commit is not None:
            before_commit(number)

    con.register(_PAGE, rows)
    try:
        (result,) = load_batches(
            con, table, text_rows, [batch], today, quarantine_reason=_row_reason(table), before_commit=commit_cursor
        )
    finally:
        con.unregister(_PAGE)
    return result
