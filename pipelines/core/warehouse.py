"""The DuckDB warehouse: one place that opens it, with the configured limits, and the
resource that tells every step (ingest, dbt, the gates, publish) which file it is."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field


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
    config: dict[str, str | int] = {"memory_limit": memory_limit, "threads": threads}
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(temp_dir)
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    try:
        yield con
    finally:
        con.close()


class WarehouseResource(dg.ConfigurableResource):
    """The working warehouse file and the limits DuckDB runs under, for every step of
    a run: ingest writes it, dbt builds in it, the gates validate it, publish copies
    from it. Override `path` in a run's config and all of them follow."""

    path: str = Field(description="The DuckDB file (CCP_WAREHOUSE).")
    memory_limit: str = Field(default="1GB", description="Memory before DuckDB spills (CCP_DUCKDB_MEMORY_LIMIT).")
    threads: int = Field(default=2, description="DuckDB threads per query (CCP_DUCKDB_THREADS).")
    temp_dir: str | None = Field(
        default=None, description="Where DuckDB spills; each process a folder of its own (CCP_DUCKDB_TEMP_DIR)."
    )
    dbt_threads: int = Field(default=1, description="dbt models built at a time (CCP_DBT_THREADS).")

    @property
    def file(self) -> Path:
        return Path(self.path)

    def spill_dir(self, purpose: str) -> Path:
        """DuckDB instances must not share temporary files: one folder per purpose."""
        base = Path(self.temp_dir) if self.temp_dir else self.file.parent / "duckdb_tmp"
        return base / purpose

    @contextmanager
    def connect(self, read_only: bool = False, purpose: str = "pipeline") -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(
            self.file,
            read_only=read_only,
            memory_limit=self.memory_limit,
            threads=self.threads,
            temp_dir=self.spill_dir(purpose),
        ) as con:
            yield con

    def duckdb_config(self, purpose: str) -> dict[str, str | int]:
        """The same limits for a DuckDB instance of a step's own (e.g. the publish copy)."""
        temp_dir = self.spill_dir(purpose)
        temp_dir.mkdir(parents=True, exist_ok=True)
        return {"memory_limit": self.memory_limit, "threads": self.threads, "temp_directory": str(temp_dir)}

    def dbt_profile_vars(self) -> dict[str, str | int]:
        """The connection dbt's profile reads (profiles.yml), passed to the dbt process
        as vars: nothing in this process's environment changes."""
        return {
            "ccp_warehouse": str(self.file),
            "ccp_duckdb_memory_limit": self.memory_limit,
            "ccp_duckdb_threads": self.threads,
            "ccp_duckdb_temp_dir": str(self.spill_dir("dbt")),
            "ccp_dbt_threads": self.dbt_threads,
        }


def quiet_interpreter_shutdown() -> None:
    """Once SQLAlchemy has used DuckDB's Python module (the quality gates), the module
    reports reference "leaks" on stderr while the interpreter shuts down: noise after a
    command's real output. Call this when everything is printed and closed."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
