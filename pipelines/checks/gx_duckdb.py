"""Great Expectations validating inside the DuckDB warehouse.

GX's generic SQL execution engine opens a pooled connection per metric query, runs
it, closes the connection and only then reads the rows. Closing rolls back the
connection's transaction, and with duckdb-engine that discards the pending result,
so every expectation fails with `MetricResolutionError: list index out of range`.
GX keeps one connection open for the dialects it knows need it (sqlite and a few
others); this module gives DuckDB the same treatment through a datasource type of
its own, registered with GX when this module is imported:
`context.data_sources.add_duckdb_sql(...)`.

Pulling the table into pandas also works but holds it whole in memory; this keeps
the work in DuckDB. tests/test_gates.py fails loudly if a GX upgrade changes this.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from great_expectations.datasource.fluent import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine


class KeptConnectionExecutionEngine(SqlAlchemyExecutionEngine):
    """Runs every metric query on one connection that stays open until `close()`."""

    @contextmanager
    def get_connection(self) -> Iterator:  # type: ignore[override]
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        try:
            yield self._connection
        except Exception:
            # A failed query aborts DuckDB's transaction; end it so the next
            # expectation runs on a clean connection.
            self._connection.rollback()
            raise

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None
        self.engine.dispose()


class DuckDBSQLDatasource(SQLDatasource):
    """A SQL datasource on a DuckDB file (duckdb-engine) that validates in-database."""

    type: Literal["duckdb_sql"] = "duckdb_sql"

    @property
    def execution_engine_type(self) -> type[SqlAlchemyExecutionEngine]:
        return KeptConnectionExecutionEngine

    def release(self) -> None:
        """Close every DuckDB handle this datasource holds, so the file lock is freed:
        GX keeps one engine for reflecting tables and one for running metrics."""
        engine = self._execution_engine
        if engine is not None:
            engine.close()
            self._execution_engine = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
