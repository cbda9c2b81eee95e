"""Load landed files into the raw schema of the warehouse.

Every file is one batch, loaded whole or not at all. All new files of a table are
read, checked and loaded together in one transaction (one parallel scan, not a
statement per file); should the reader fail on one of them, each file is loaded on
its own so that only the bad one is held back:

* a file that cannot be read, or lacks a contract column, is rejected (`FileRejected`)
  naming the file, the column and the problem; nothing of it is loaded;
* each row is cast and checked in SQL (DuckDB's readers, no Python row loop); rows
  that break a rule of their own go to `raw.quarantine` with file, row and reason,
  the rest to `raw.<table>`, so rows read = rows loaded + rows quarantined;
* the ingestion ledger remembers each file's checksum: a file landed again with the
  same content (under any name) is skipped, a loaded file whose content changed is
  rejected, since landed files are immutable.

Batches stay side by side in `raw.<table>` with their batch name; the staging
models pick the latest batch for each key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.core.errors import first_line as _first_line
from pipelines.core.landing import landed_files as _landed_files
from pipelines.core.sql import quote_identifier as _q
from pipelines.core.sql import quote_literal as _lit
from pipelines.ingest import contract
from pipelines.ingest.contract import Column, Table

RAW_SCHEMA = "raw"
LEDGER = f"{RAW_SCHEMA}.ingest_ledger"
QUARANTINE = f"{RAW_SCHEMA}.quarantine"

_SQL_TYPES = {
    contract.TEXT: "VARCHAR",
    contract.CURRENCY: "VARCHAR",
    contract.INTEGER: "BIGINT",
    contract.DECIMAL: "DECIMAL(18, 6)",
    contract.DATE: "DATE",
    contract.TIMESTAMP: "TIMESTAMP",
}
_KIND_WORDS = {
    contract.INTEGER: "a whole number",
    contract.DECIMAL: "a number",
    contract.DATE: "a date",
    contract.TIMESTAMP: "a timestamp",
}


class FileRejected(Exception):
    """A landed file that cannot be loaded at all; the message says which and why."""

    def __init__(self, file: str, problem: str, column: str | None = None):
        self.file, self.problem, self.column = file, problem, column
        where = f"{file}, column {column!r}" if column else file
        super().__init__(f"{where}: {problem}")


@dataclass
class FileResult:
    file: str
    status: str  # loaded | skipped | rejected
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    detail: str = ""


@dataclass
class TableReport:
    table: Table
    files: list[FileResult] = field(default_factory=list)

    def _sum(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def rows_read(self) -> int:
        return self._sum("rows_read")

    @property
    def rows_loaded(self) -> int:
        return self._sum("rows_loaded")

    @property
    def rows_quarantined(self) -> int:
        return self._sum("rows_quarantined")

    def with_status(self, status: str) -> list[FileResult]:
        return [f for f in self.files if f.status == status]


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, its ledger, quarantine and one table per contract table."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    con.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {LEDGER} (
            table_name VARCHAR NOT NULL,
            file VARCHAR NOT NULL,
            batch VARCHAR NOT NULL,
            size_bytes BIGINT NOT NULL,
            sha256 VARCHAR NOT NULL,
            rows_read BIGINT NOT NULL,
            rows_loaded BIGINT NOT NULL,
            rows_quarantined BIGINT NOT NULL,
            loaded_at TIMESTAMP NOT NULL,
            PRIMARY KEY (table_name, file)
        )"""
    )
    con.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {QUARANTINE} (
            table_name VARCHAR NOT NULL,
            file VARCHAR NOT NULL,
            batch VARCHAR NOT NULL,
            row_number BIGINT NOT NULL,
            column_name VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            record JSON NOT NULL,
            quarantined_at TIMESTAMP NOT NULL
        )"""
    )
    for table in contract.TABLES:
        columns = ",\n".join(f"{_q(c.name)} {_SQL_TYPES[c.kind]}" for c in table.columns)
        con.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{_q(table.name)} (
                {columns},
                _batch VARCHAR NOT NULL,
                _file VARCHAR NOT NULL,
                _row_number BIGINT NOT NULL,
                _loaded_at TIMESTAMP NOT NULL
            )"""
        )


def landed_files(landing_dir: Path, table: Table) -> list[Path]:
    """The table's batches, in batch order (file name)."""
    return _landed_files(landing_dir, table.source, table.name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _source(path: Path) -> tuple[str, str]:
    """The DuckDB table function reading a landed file as text, and its row-number
    expression: CSV rows are numbered as lines of the file (the header is line 1),
    Parquet rows from 1."""
    if path.suffix.lower() == ".csv":
        source = (
            f"read_csv({_lit(str(path))}, header = true, all_varchar = true, delim = ',', "
            "quote = '\"', escape = '\"', encoding = 'utf-8') WITH ORDINALITY"
        )
        return source, "ordinality + 1"
    return f"read_parquet({_lit(str(path))}, file_row_number = true)", "file_row_number + 1"


@dataclass(frozen=True)
class _Landed:
    """A new landed file whose header holds every contract column."""

    path: Path
    label: str
    size: int
    sha: str
    header: dict[str, str]  # contract column name -> the file's own spelling


def _read_header(con: duckdb.DuckDBPyConnection, path: Path, label: str, table: Table) -> dict[str, str]:
    """Map each contract column to its spelling in the file; extra columns are ignored."""
    source, _ = _source(path)
    try:
        present = {row[0].strip().lower(): row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    except duckdb.Error as exc:
        raise FileRejected(label, f"cannot be read: {_first_line(exc)}") from exc
    for column in table.columns:
        if column.name not in present:
            raise FileRejected(label, "required column is missing from the header", column=column.name)
    return {c.name: present[c.name] for c in table.columns}


def _read_text(landed: _Landed, table: Table) -> str:
    """A SELECT of one file's contract columns as text, with its label and row numbers."""
    source, row_number = _source(landed.path)
    selected = ", ".join(f"CAST({_q(landed.header[c.name])} AS VARCHAR) AS {_q(c.name)}" for c in table.columns)
    return (
        f"SELECT {_lit(landed.label)} AS _file, {_lit(landed.path.name)} AS _batch, "
        f"{selected}, {row_number} AS _row_number FROM {source}"
    )


def _typed(column: Column) -> str:
    raw = _q(column.name)
    if column.kind == contract.TEXT:
        return f"NULLIF({raw}, '')"
    if column.kind == contract.CURRENCY:
        return f"NULLIF(TRIM({raw}), '')"
    # DuckDB's casts from text skip surrounding blanks and give NULL for a blank value.
    return f"TRY_CAST({raw} AS {_SQL_TYPES[column.kind]})"


def _problems(column: Column, today: date) -> list[str]:
    """SQL expressions that are a reason text when the column's value breaks a rule, else NULL."""
    name, raw, typed = column.name, _q(column.name), _typed(column)
    present = f"NULLIF(TRIM({raw}), '') IS NOT NULL"
    shown = f"'''' || {raw} || ''''"
    checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"NOT ({present})", _lit(f"{name}: required value is missing")))
    if column.kind in _KIND_WORDS:
        checks.append(
            (
                f"{present} AND {typed} IS NULL",
                f"{_lit(name + ': ')} || {shown} || {_lit(' is not ' + _KIND_WORDS[column.kind])}",
            )
        )
    if column.kind == contract.CURRENCY:
        checks.append(
            (
                f"{present} AND NOT regexp_full_match({typed}, '[A-Z]{{3}}')",
                f"{_lit(name + ': ')} || {shown} || ' is not a three-letter ISO 4217 code'",
            )
        )
    if column.check:
        rule = column.check.format(v=typed)
        checks.append((f"{typed} IS NOT NULL AND NOT ({rule})", _lit(f"{name}: {column.check_reason}")))
    if column.accepted:
        allowed = ", ".join(_lit(a) for a in column.accepted)
        checks.append(
            (
                f"{typed} IS NOT NULL AND {typed} NOT IN ({allowed})",
                f"{_lit(name + ': ')} || {shown} || {_lit(' is not one of ' + ', '.join(column.accepted))}",
            )
        )
    if column.not_future:
        checks.append(
            (
                f"CAST({typed} AS DATE) > DATE {_lit(today.isoformat())}",
                f"{_lit(name + ': ')} || {shown} || {_lit(' is in the future (after ' + today.isoformat() + ')')}",
            )
        )
    return [f"CASE WHEN {cond} THEN {reason} END" for cond, reason in checks]


def _checked(table: Table, today: date, text_rows: str) -> str:
    """A SELECT that casts every column of `text_rows` and gives each row its reasons
    (empty when the row is good), the first column at fault and, for bad rows only,
    the record as landed."""
    reasons: list[str] = []
    first_column: list[str] = []
    for column in table.columns:
        for problem in _problems(column, today):
            reasons.append(problem)
            first_column.append(f"CASE WHEN ({problem}) IS NOT NULL THEN {_lit(column.name)} END")
    key_columns = [c for c in table.columns if c.name in table.key]
    key_typed = ", ".join(f"{_typed(c)} AS {_q('k_' + c.name)}" for c in key_columns)
    key_names = ", ".join(table.key)
    # A key twice in one batch is ambiguous; the same key in two batches is a
    # restatement. Counted by a grouping first: cheaper than a window over whole rows.
    duplicated = "duplicates._file IS NOT NULL"
    reasons.append(f"CASE WHEN {duplicated} THEN {_lit('duplicate key (' + key_names + ') in this batch')} END")
    first_column.append(f"CASE WHEN {duplicated} THEN {_lit(table.key[0])} END")
    typed = ", ".join(f"{_typed(c)} AS {_q('t_' + c.name)}" for c in table.columns)
    typed_names = ", ".join(_q("t_" + c.name) for c in table.columns)
    record = ", ".join(f"{_lit(c.name)}: {_q(c.name)}" for c in table.columns)
    joined = " AND ".join(
        ["duplicates._file = text_rows._file"] + [f"duplicates.{_q('k_' + c.name)} = {_typed(c)}" for c in key_columns]
    )
    not_null = " AND ".join(f"{_q('k_' + c.name)} IS NOT NULL" for c in key_columns)
    return f"""
        WITH text_rows AS NOT MATERIALIZED ({text_rows}),
        duplicates AS (
            SELECT * FROM (SELECT _file, {key_typed} FROM text_rows)
            WHERE {not_null}
            GROUP BY ALL HAVING count(*) > 1
        )
        SELECT
            _file, _batch, _row_number, {typed_names}, _reason, _column,
            CASE WHEN _reason <> '' THEN to_json({{{record}}}) END AS _record
        FROM (
            SELECT
                text_rows.*,
                {typed},
                concat_ws('; ', {", ".join(reasons)}) AS _reason,
                coalesce({", ".join(first_column)}) AS _column
            FROM text_rows LEFT JOIN duplicates ON {joined}
        )
    """


def _load_time(con: duckdb.DuckDBPyConnection) -> datetime:
    """The time stamped on a load: now, but always after every earlier load, even if the
    clock went back. Incremental staging models read the raw rows loaded after the
    latest load they hold, so load times must only grow."""
    latest = con.execute(f"SELECT max(loaded_at) FROM {LEDGER}").fetchone()[0]
    now = datetime.now()
    return now if latest is None or now > latest else latest + timedelta(microseconds=1)


@dataclass(frozen=True)
class Batch:
    """One batch as the ledger records it: a landed file, or a page pulled from a database."""

    label: str  # the ledger's and quarantine's `file`
    name: str  # `_batch`: later batches sort later and win
    size: int
    sha: str


def load_batches(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    text_rows: str,
    batches: list[Batch],
    today: date,
    *,
    quarantine_reason: str = "_reason",
    before_commit: Callable[[datetime], None] | None = None,
) -> list[FileResult]:
    """Check and load the rows of `text_rows` (every contract column as text, with
    `_file`, `_batch` and `_row_number`) in one transaction: good rows to the table, bad
    ones to quarantine, one ledger row per batch. `quarantine_reason` is the SQL
    expression stored as a bad row's reason; `before_commit` runs inside the same
    transaction, so whatever it writes commits with the batches or not at all."""
    now = _load_time(con)
    columns = ", ".join(_q(c.name) for c in table.columns)
    typed = ", ".join(_q("t_" + c.name) for c in table.columns)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE checked AS {_checked(table, today, text_rows)}")
        con.execute(
            f"""INSERT INTO {RAW_SCHEMA}.{_q(table.name)} ({columns}, _batch, _file, _row_number, _loaded_at)
            SELECT {typed}, _batch, _file, _row_number, ? FROM checked WHERE _reason = ''""",
            [now],
        )
        con.execute(
            f"""INSERT INTO {QUARANTINE}
            SELECT ?, _file, _batch, _row_number, _column, {quarantine_reason}, _record, ?
            FROM checked WHERE _reason <> ''""",
            [table.name, now],
        )
        counts = {
            file: (read, quarantined)
            for file, read, quarantined in con.execute(
                "SELECT _file, count(*), count(*) FILTER (WHERE _reason <> '') FROM checked GROUP BY _file"
            ).fetchall()
        }
        results = []
        for batch in batches:
            read, quarantined = counts.get(batch.label, (0, 0))
            con.execute(
                f"INSERT INTO {LEDGER} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    table.name,
                    batch.label,
                    batch.name,
                    batch.size,
                    batch.sha,
                    read,
                    read - quarantined,
                    quarantined,
                    now,
                ],
            )
            results.append(FileResult(batch.label, "loaded", read, read - quarantined, quarantined))
        con.execute("DROP TABLE checked")
        if before_commit is not None:
            before_commit(now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return results


def _load(con: duckdb.DuckDBPyConnection, table: Table, files: list[_Landed], today: date) -> list[FileResult]:
    """Load files in one transaction and one pass: every file, or none of them."""
    text_rows = "\nUNION ALL\n".join(_read_text(f, table) for f in files)
    batches = [Batch(f.label, f.path.name, f.size, f.sha) for f in files]
    return load_batches(con, table, text_rows, batches, today)


def ingest_table(con: duckdb.DuckDBPyConnection, table: Table, landing_dir: Path, today: date) -> TableReport:
    """Load every new landed file of one table; see the module docstring for the rules.

    All new files go in one statement, read in parallel. Should that fail (a file
    that breaks the reader part-way), each file is tried on its own, so the bad one
    is named and rejected and the others still load. A rejected file does not stop
    the others (batches are independent); the caller decides how to report it.
    """
    ensure_raw_schema(con)
    known = dict(con.execute(f"SELECT sha256, file FROM {LEDGER} WHERE table_name = ?", [table.name]).fetchall())
    known_files = set(known.values())
    results: dict[str, FileResult] = {}
    new: list[_Landed] = []
    for path in landed_files(landing_dir, table):
        label = str(path.relative_to(landing_dir))
        sha = _sha256(path)
        if sha in known:
            first = known[sha]
            detail = "already loaded" if first == label else f"same content as {first}, already loaded"
            results[label] = FileResult(label, "skipped", detail=detail)
            continue
        if label in known_files:
            problem = FileRejected(
                label,
                "its content changed after it was loaded; landed files are immutable, "
                "land the correction as a new batch",
            )
            results[label] = FileResult(label, "rejected", detail=str(problem))
            continue
        try:
            header = _read_header(con, path, label, table)
        except FileRejected as exc:
            results[label] = FileResult(label, "rejected", detail=str(exc))
            continue
        known[sha] = label
        new.append(_Landed(path, label, path.stat().st_size, sha, header))

    if new:
        try:
            loaded = _load(con, table, new, today)
        except duckdb.Error:
            loaded = []
            for landed in new:
                try:
                    loaded += _load(con, table, [landed], today)
                except duckdb.Error as exc:
                    problem = FileRejected(landed.label, f"cannot be read: {_first_line(exc)}")
                    results[landed.label] = FileResult(landed.label, "rejected", detail=str(problem))
        results.update((r.file, r) for r in loaded)

    report = TableReport(table)
    report.files = [results[label] for label in sorted(results, key=lambda lbl: Path(lbl).name)]
    return report
