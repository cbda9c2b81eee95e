"""Load landed files into the raw schema of the warehouse.

Every file is one batch, loaded whole or not at all, in one transaction:

* a file that cannot be read, or lacks a contract column, raises `FileRejected`
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
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from pipelines.ingest import contract
from pipelines.ingest.contract import Column, Table

RAW_SCHEMA = "raw"
LEDGER = f"{RAW_SCHEMA}.ingest_ledger"
QUARANTINE = f"{RAW_SCHEMA}.quarantine"
READABLE_SUFFIXES = (".csv", ".parquet")

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


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
    """The table's batches, in batch order (file name), ignoring hidden and partial files."""
    folder = landing_dir / table.source / table.name
    if not folder.is_dir():
        return []
    return sorted(
        (
            p
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() in READABLE_SUFFIXES and not p.name.startswith(".")
        ),
        key=lambda p: p.name,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_landed(con: duckdb.DuckDBPyConnection, path: Path, label: str, table: Table) -> None:
    """Read the file as text into the temp table `landed`, with its row numbers.

    CSV rows are numbered as lines of the file (the header is line 1), Parquet rows
    from 1. Every contract column must be in the header; extra columns are ignored.
    """
    if path.suffix.lower() == ".csv":
        source = (
            f"read_csv({_lit(str(path))}, header = true, all_varchar = true, delim = ',', "
            "quote = '\"', escape = '\"', encoding = 'utf-8') WITH ORDINALITY"
        )
        row_number = "ordinality + 1"
    else:
        source = f"read_parquet({_lit(str(path))}, file_row_number = true)"
        row_number = "file_row_number + 1"
    try:
        present = {
            row[0].strip().lower(): row[0]
            for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        }
    except duckdb.Error as exc:
        raise FileRejected(label, f"cannot be read: {_first_line(exc)}") from exc
    for column in table.columns:
        if column.name not in present:
            raise FileRejected(
                label, "required column is missing from the header", column=column.name
            )
    selected = ", ".join(
        f"CAST({_q(present[c.name])} AS VARCHAR) AS {_q(c.name)}" for c in table.columns
    )
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE landed AS "
            f"SELECT {selected}, {row_number} AS _row_number FROM {source}"
        )
    except duckdb.Error as exc:
        raise FileRejected(label, f"cannot be read: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _typed(column: Column) -> str:
    raw = _q(column.name)
    if column.kind == contract.TEXT:
        return f"NULLIF({raw}, '')"
    if column.kind == contract.CURRENCY:
        return f"NULLIF(TRIM({raw}), '')"
    return f"TRY_CAST(NULLIF(TRIM({raw}), '') AS {_SQL_TYPES[column.kind]})"


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
            (f"{present} AND {typed} IS NULL", f"{_lit(name + ': ')} || {shown} || {_lit(' is not ' + _KIND_WORDS[column.kind])}")
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


def _check_rows(con: duckdb.DuckDBPyConnection, table: Table, today: date) -> None:
    """Cast every column and collect each row's reasons into the temp table `checked`."""
    reasons: list[str] = []
    first_column: list[str] = []
    for column in table.columns:
        for problem in _problems(column, today):
            reasons.append(problem)
            first_column.append(f"CASE WHEN ({problem}) IS NOT NULL THEN {_lit(column.name)} END")
    key_columns = [c for c in table.columns if c.name in table.key]
    key_typed = ", ".join(_typed(c) for c in key_columns)
    duplicated = " AND ".join(
        [f"{_typed(c)} IS NOT NULL" for c in key_columns]
        + [f"count(*) OVER (PARTITION BY {key_typed}) > 1"]
    )
    key_names = ", ".join(table.key)
    reasons.append(
        f"CASE WHEN {duplicated} THEN {_lit('duplicate key (' + key_names + ') in this batch')} END"
    )
    first_column.append(f"CASE WHEN {duplicated} THEN {_lit(table.key[0])} END")
    typed = ", ".join(f"{_typed(c)} AS {_q('t_' + c.name)}" for c in table.columns)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE checked AS
        SELECT
            landed.*,
            {typed},
            concat_ws('; ', {', '.join(reasons)}) AS _reason,
            coalesce({', '.join(first_column)}) AS _column
        FROM landed
        """
    )


def load_file(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    label: str,
    today: date,
) -> FileResult:
    """Load one landed file in one transaction; see the module docstring for the rules."""
    size = path.stat().st_size
    sha = _sha256(path)
    known = con.execute(
        f"SELECT file, sha256 FROM {LEDGER} WHERE table_name = ? AND (file = ? OR sha256 = ?)",
        [table.name, label, sha],
    ).fetchall()
    for file, known_sha in known:
        if known_sha == sha:
            detail = "already loaded" if file == label else f"same content as {file}, already loaded"
            return FileResult(label, "skipped", detail=detail)
    if known:
        raise FileRejected(
            label,
            "its content changed after it was loaded; landed files are immutable, "
            "land the correction as a new batch",
        )

    batch = path.name
    now = datetime.now().replace(microsecond=0)
    con.execute("BEGIN TRANSACTION")
    try:
        _read_landed(con, path, label, table)
        _check_rows(con, table, today)
        columns = ", ".join(_q(c.name) for c in table.columns)
        typed = ", ".join(_q("t_" + c.name) for c in table.columns)
        con.execute(
            f"""INSERT INTO {RAW_SCHEMA}.{_q(table.name)} ({columns}, _batch, _file, _row_number, _loaded_at)
            SELECT {typed}, ?, ?, _row_number, ? FROM checked WHERE _reason = ''""",
            [batch, label, now],
        )
        record = ", ".join(f"{_lit(c.name)}: {_q(c.name)}" for c in table.columns)
        con.execute(
            f"""INSERT INTO {QUARANTINE}
            SELECT ?, ?, ?, _row_number, _column, _reason, to_json({{{record}}}), ?
            FROM checked WHERE _reason <> ''""",
            [table.name, label, batch, now],
        )
        read, quarantined = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE _reason <> '') FROM checked"
        ).fetchone()
        loaded = read - quarantined
        con.execute(
            f"INSERT INTO {LEDGER} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [table.name, label, batch, size, sha, read, loaded, quarantined, now],
        )
        con.execute("DROP TABLE checked")
        con.execute("DROP TABLE landed")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return FileResult(label, "loaded", read, loaded, quarantined)


def ingest_table(
    con: duckdb.DuckDBPyConnection, table: Table, landing_dir: Path, today: date
) -> TableReport:
    """Load every new landed file of one table. A rejected file does not stop the
    others (batches are independent); the caller decides how to report rejections."""
    ensure_raw_schema(con)
    report = TableReport(table)
    for path in landed_files(landing_dir, table):
        label = str(path.relative_to(landing_dir))
        try:
            report.files.append(load_file(con, table, path, label, today))
        except FileRejected as exc:
            report.files.append(FileResult(label, "rejected", detail=str(exc)))
    return report
