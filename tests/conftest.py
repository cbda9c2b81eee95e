"""Shared fixtures: every test that runs the pipeline gets its own landing folder,
warehouse and publish folder under tmp_path, set through the environment."""

from __future__ import annotations

import atexit
import csv
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from pipelines.core.warehouse import quiet_interpreter_shutdown


def pytest_configure(config: pytest.Config) -> None:
    # Runs after pytest's summary: keep DuckDB's shutdown noise out of the closing lines.
    atexit.register(quiet_interpreter_shutdown)
    # Each test process (pytest-xdist worker) parses and builds in a dbt target folder of
    # its own: two processes sharing one would read a manifest while the other rewrites
    # it. Set before any test runs, so dbt commands the tests start inherit it.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        os.environ["DBT_TARGET_PATH"] = os.path.join(os.environ.get("DBT_TARGET_PATH", "target"), worker)
        # A worker's __main__ is a bare module (no file, no spec), which PySpark's
        # Connect package takes for its own doctest run and exits from with status 0
        # (pyspark.sql.connect.utils.check_dependencies) when GX imports it.
        main = sys.modules["__main__"]
        if getattr(main, "__spec__", None) is None and not hasattr(main, "__file__"):
            main.__file__ = sys.argv[0]


def point_settings_at(mp: pytest.MonkeyPatch, root: Path) -> None:
    """Landing folder, warehouse, publish folder and spill folder under `root`, every
    other setting at its default."""
    mp.setenv("CCP_LANDING_DIR", str(root / "landing"))
    mp.setenv("CCP_WAREHOUSE", str(root / "warehouse.duckdb"))
    mp.setenv("CCP_PUBLISH_DIR", str(root / "published"))
    mp.setenv("CCP_DUCKDB_TEMP_DIR", str(root / "duckdb_tmp"))
    mp.setenv("CCP_DUCKDB_MEMORY_LIMIT", "1GB")
    for name in ("CCP_AS_OF_DATE", "CCP_DBT_VARS", "CCP_EXPECTATIONS_DIR", "DAGSTER_HOME"):
        mp.delenv(name, raising=False)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private landing folder, warehouse and publish folder for one test."""
    point_settings_at(monkeypatch, tmp_path)
    (tmp_path / "landing").mkdir()
    return tmp_path


# A refresh costs most of a minute whatever the data size, so the tests that only read a
# finished workspace share one. They must not change it: copy it first
# (shutil.copytree(..., symlinks=True)).


def mart_checksums(warehouse: Path) -> dict[str, tuple]:
    """Row count and an order-free hash of every table in the warehouse's marts schema."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
        ).fetchall()]  # fmt: skip
        return {
            t: con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM marts.{t} AS t").fetchone() for t in tables
        }


def pytest_runtest_setup(item: pytest.Item) -> None:
    # pytest-xdist groups a test by a suffix on its node id; a pytest that ignores it
    # (9.2, pytest-xdist issue 1386) would spread a group silently, building its
    # workspace once per process. Such a test fails instead, saying why.
    grouped = item.get_closest_marker("xdist_group") is not None
    if grouped and getattr(item.config.option, "loadgroup", False) and "@" not in item.nodeid:
        pytest.fail("pytest-xdist did not group this test (xdist_group); see the pytest pin in pyproject.toml")


# The tests reading `refreshed` (two refreshes) carry this mark, so that `--dist loadgroup`
# runs them in one process and the workspace is built once. `small_release` (one refresh)
# is shared between the processes instead: the failure tests that copy it each run the
# pipeline again and are better spread over them.
REFRESHED = pytest.mark.xdist_group("refreshed")


# What a BI reader holding the published file reads, before and after a refresh.
READER_QUERY = "SELECT count(*), sum(net_revenue_window) FROM customer_value"


@pytest.fixture(scope="session")
def refreshed(tmp_path_factory: pytest.TempPathFactory):
    """Two refreshes of the same 4,000 generated order lines (seed 3) in one workspace:
    (settings, first result, second result, mart checksums after the first, what a
    reader saw). A BI reader holds the published file through the second refresh: it
    read READER_QUERY before and after it (`before`, `after`), and `manifest` is the
    first release's."""
    import json

    import duckdb

    from pipelines.core.settings import Settings
    from pipelines.demo import generate
    from pipelines.run import run_refresh

    root = tmp_path_factory.mktemp("refreshed")
    with pytest.MonkeyPatch.context() as mp:
        point_settings_at(mp, root)
        generate(root / "landing", order_lines=4000, seed=3)
        settings = Settings.from_env()
        first = run_refresh(settings)
        checksums = mart_checksums(settings.warehouse)
        reader: dict = {}
        if first.success:
            reader["manifest"] = json.loads((settings.publish_dir / "manifest.json").read_text(encoding="utf-8"))
            held = duckdb.connect(str(settings.publish_dir / "marts.duckdb"), read_only=True)
            reader["before"] = held.execute(READER_QUERY).fetchone()
        second = run_refresh(settings)
        if first.success:
            reader["after"] = held.execute(READER_QUERY).fetchone()
            held.close()
    return settings, first, second, checksums, reader


@pytest.fixture(scope="session")
def small_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace (landing, warehouse, published) after one successful refresh of 3,000
    generated order lines (seed 21). Built once for all test processes: the first to
    need it builds it under a lock while the others wait, then each reads it (tests that
    change it copy it first)."""
    import fcntl
    import shutil

    from pipelines.core.settings import Settings
    from pipelines.demo import generate
    from pipelines.run import failure_messages, run_refresh

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # Every worker's base folder sits in the run's own folder.
        shared = shared.parent
    root = shared / "small_release"
    with open(shared / "small_release.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "built").exists():
            with pytest.MonkeyPatch.context() as mp:
                point_settings_at(mp, root)
                generate(root / "landing", order_lines=3000, seed=21)
                result = run_refresh(Settings.from_env())
            if not result.success:
                # The next process to need it starts afresh rather than from a failed run.
                shutil.rmtree(root, ignore_errors=True)
            assert result.success, failure_messages(result)
            (root / "built").touch()
    return root


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
