"""The DuckDB warehouse: one place that opens it, with the configured limits."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb


@contextmanager
def connect(
    path: Path,
    *,
    read_only: bool = False,
    memory_limit: str = "1GB",
    threads: int = 2,
    temp_dir: Path | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse and always close it: DuckDB allows one writing process per
    file, and dbt runs in its own process right after the ingest assets."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": memory_limit, "threads": threads}
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(temp_dir)
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    try:
        yield con
    finally:
        con.close()


class WarehouseResource(dg.ConfigurableResource):
    """The working warehouse file and the limits DuckDB runs under."""

    path: str
    memory_limit: str = "1GB"
    threads: int = 2
    temp_dir: str | None = None

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(
            Path(self.path),
            read_only=read_only,
            memory_limit=self.memory_limit,
            threads=self.threads,
            temp_dir=Path(self.temp_dir) if self.temp_dir else None,
        ) as con:
            yield con


def quiet_interpreter_shutdown() -> None:
    """Once SQLAlchemy has used DuckDB's Python module (the quality gates), the module
    reports reference "leaks" on stderr while the interpreter shuts down: noise after a
    command's real output. Call this when everything is printed and closed."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
