"""Shared fixtures: every test that runs the pipeline gets its own landing folder,
warehouse and publish folder under tmp_path, set through the environment."""

from __future__ import annotations

import atexit
import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from pipelines.core.warehouse import quiet_interpreter_shutdown


def pytest_configure(config: pytest.Config) -> None:
    # Runs after pytest's summary: keep DuckDB's shutdown noise out of the closing lines.
    atexit.register(quiet_interpreter_shutdown)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private landing folder, warehouse and publish folder for one test."""
    monkeypatch.setenv("CCP_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("CCP_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("CCP_PUBLISH_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("CCP_DUCKDB_TEMP_DIR", str(tmp_path / "duckdb_tmp"))
    monkeypatch.setenv("CCP_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.delenv("CCP_AS_OF_DATE", raising=False)
    monkeypatch.delenv("CCP_DBT_VARS", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    (tmp_path / "landing").mkdir()
    return tmp_path


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = False) -> Path:
    """Write a landed CSV file the way a producer would (UTF-8, optional BOM)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# A throwaway PostgreSQL server, for the tests of the PostgreSQL instance, engine and source.
from tests.postgres import postgres_server  # noqa: E402, F401
