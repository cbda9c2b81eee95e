"""One dbt project, three engines: the marts built on Spark and on PostgreSQL from the
same landed files equal DuckDB's, row for row, as published, and pass the gates
validated in that engine. A refresh on PostgreSQL runs its gates there, keeps its
Dagster runs there and publishes what the DuckDB refresh of the same files published,
naming the engine in the manifest."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.checks.suites import load_suites
from pipelines.checks.validate import validate_suites
from pipelines.core.engines import EngineResource
from pipelines.core.paths import DBT_PROJECT_DIR
from pipelines.core.resources import pipeline_resources
from pipelines.core.settings import Settings
from pipelines.core.shipping import fetch_tables, ship_tables
from pipelines.core.spark import shipped_tables_var, spark_session
from pipelines.core.warehouse import WarehouseResource
from pipelines.demo import generate
from pipelines.ingest.contract import TABLES
from pipelines.ingest.loader import ingest_table
from pipelines.predict.assets import models_connection
from pipelines.predict.estimate import Settings as FitSettings
from pipelines.predict.estimate import estimate
from pipelines.publish.release import PUBLISHED_TABLES, publish
from pipelines.run import main
from pipelines.transform.project import dbt_executable

# One process runs them all, so DuckDB's reference marts are built once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("engines")]

# A small landing set: enough repeat buyers for the customer-base models to be fitted,
# two years of month ends for the tier history and the year-on-year migration.
LINES = 3000
SEED = 11
YEARS = 2
TODAY = date(2026, 1, 15)
RELATIVE = 1e-9


@pytest.fixture(scope="module")
def raw_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The landed demo set, ingested and validated once into a DuckDB warehouse."""
    root = tmp_path_factory.mktemp("engines")
    generate(root / "landing", order_lines=LINES, seed=SEED, years=YEARS)
    path = root / "landed.duckdb"
    with duckdb.connect(str(path)) as con:
        for table in TABLES:
            report = ingest_table(con, table, root / "landing", TODAY)
            assert not report.with_status("rejected"), table.name
    return path


def _dbt(
    engine: EngineResource, warehouse: WarehouseResource, root: Path, *args: str, business_vars: dict | None = None
) -> None:
    variables = {
        **warehouse.dbt_profile_vars(),
        **engine.dbt_profile_vars(),
        **shipped_tables_var(engine),
        **(business_vars or {}),
    }
    command = [
        dbt_executable(),
        *args,
        "--no-version-check",
        "--vars",
        json.dumps(variables),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(root / "target"),
        "--log-path",
        str(root / "logs"),
    ]
    env = {**os.environ, **engine.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"dbt {' '.join(args)} on {engine.kind} failed:\n{done.stdout[-6000:]}"


def build_and_publish(engine: EngineResource, raw: Path, root: Path) -> Path:
    """What a refresh does on an engine, without Dagster and without dbt's data tests
    (covered elsewhere): ship the raw tables, build, fit the customer-base models,
    build the marts, read them back and publish. Returns the publish folder."""
    root.mkdir(parents=True, exist_ok=True)
    warehouse = WarehouseResource(
        path=str(root / "warehouse.duckdb"), memory_limit="1GB", threads=2, temp_dir=str(root / "duckdb_tmp")
    )
    shutil.copyfile(raw, warehouse.file)
    if not engine.is_duckdb:
        with warehouse.connect() as con:
            ship_tables(con, engine, [("raw", t.name) for t in TABLES], scratch=root / "ship")
    no_tests = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    _dbt(engine, warehouse, root, "build", "--select", "staging audit intermediate resource_type:seed", *no_tests)
    with models_connection(warehouse, engine) as con:
        outcome = estimate(con, FitSettings(min_repeat_customers=20, holdout_days=182))
    assert outcome.status["bg_nbd"] == "converged", outcome.status
    _dbt(engine, warehouse, root, "build", "--select", "marts", *no_tests)
    source = warehouse.file
    if not engine.is_duckdb:
        source = root / "engine_marts.duckdb"
        with duckdb.connect(str(source)) as con:
            fetch_tables(engine, [("marts", t) for t in PUBLISHED_TABLES], con, scratch=root / "fetch")
    with duckdb.connect(str(source), read_only=True) as con:
        as_of = con.execute("SELECT max(as_of_date) FROM marts.pareto_summary").fetchone()[0]
    publish(
        source,
        root / "published",
        run_id=f"{engine.kind}-equality",
        as_of_date=as_of.isoformat(),
        gates=[],
        duckdb_config=warehouse.duckdb_config("publish"),
        engine=engine.kind,
    )
    return root / "published"


def _published(folder: Path, table: str) -> tuple[list[tuple[str, str]], list[tuple]]:
    """A published table's columns (name, type) and rows, in the published order."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    columns = [(c["name"], c["type"]) for c in manifest["tables"][table]["columns"]]
    with duckdb.connect() as con:
        rows = con.execute(f"SELECT * FROM read_parquet('{folder / 'parquet' / (table + '.parquet')}')").fetchall()
    return columns, rows


def _same(expected, actual, kind: str) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if kind == "DOUBLE":
        if math.isnan(expected) or math.isnan(actual):
            return math.isnan(expected) and math.isnan(actual)
        return math.isclose(expected, actual, rel_tol=RELATIVE, abs_tol=1e-12)
    return expected == actual


def differences(reference: Path, other: Path) -> list[str]:
    """Every way the published marts of `other` differ from `reference`: columns and
    types, row counts, and each value (keys, text, dates and whole numbers exactly,
    other numbers to 1e-9 relative), naming table, row key and column."""
    found: list[str] = []
    for table, keys in PUBLISHED_TABLES.items():
        columns, expected_rows = _published(reference, table)
        other_columns, actual_rows = _published(other, table)
        if columns != other_columns:
            found.append(f"{table}: columns {other_columns} instead of {columns}")
            continue
        if len(expected_rows) != len(actual_rows):
            found.append(f"{table}: {len(actual_rows)} rows instead of {len(expected_rows)}")
            continue
        names = [name for name, _ in columns]
        key_index = [names.index(k) for k in keys]
        for expected, actual in zip(expected_rows, actual_rows, strict=True):
            key = tuple(expected[i] for i in key_index)
            if key != tuple(actual[i] for i in key_index):
                found.append(f"{table}: row {key} is {tuple(actual[i] for i in key_index)} in its place")
                break
            for (name, kind), a, b in zip(columns, expected, actual, strict=True):
                if not _same(a, b, kind):
                    found.append(f"{table} {dict(zip(keys, key, strict=True))}: {name} = {b!r}, expected {a!r}")
        if len(found) > 40:
            break
    return found


def gate_failures(engine: EngineResource, root: Path) -> list[str]:
    """The staging, predictions and marts gates validated in the engine, as a refresh
    validates them there: every failing suite, described."""
    settings = Settings.from_env({})
    thresholds = {"max_quarantine_share": settings.max_quarantine_share, "max_orphan_share": settings.max_orphan_share}
    suites = [
        s
        for gate in ("staging", "predictions", "marts")
        for s in load_suites(settings.expectations_dir, gate, thresholds)
    ]
    outcomes = validate_suites(root / "warehouse.duckdb", suites, engine=engine)
    assert len(outcomes) == len(suites)
    return [outcome.describe() for outcome in outcomes if not outcome.success]


@pytest.fixture(scope="module")
def reference(raw_warehouse, tmp_path_factory) -> tuple[Path, float]:
    """DuckDB's published marts from the landing set, and the seconds they took."""
    started = time.perf_counter()
    folder = build_and_publish(EngineResource(kind="duckdb"), raw_warehouse, tmp_path_factory.mktemp("duckdb"))
    return folder, time.perf_counter() - started


def test_spark_publishes_the_marts_duckdb_publishes_row_for_row(raw_warehouse, reference, tmp_path, capsys):
    expected, duckdb_seconds = reference
    # A local Spark session, its warehouse and metastore in the test's folder.
    engine = EngineResource(kind="spark", spark_master="local[2]", spark_dir=str(tmp_path / "spark-engine"))
    started = time.perf_counter()
    published = build_and_publish(engine, raw_warehouse, tmp_path / "spark")
    seconds = time.perf_counter() - started
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"] == "spark"
    found = differences(expected, published)
    # The gates run where dbt built, through GX's datasource for that engine.
    found += gate_failures(engine, tmp_path / "spark")
    # The next run's session (a new catalog) registers the same folders again.
    spark_session(engine).stop()
    rows = manifest["tables"]["customer_value"]["rows"]
    assert spark_session(engine).table("marts.customer_value").count() == rows > 0
    with capsys.disabled():
        print(f"\nbuild and publish: duckdb {duckdb_seconds:.1f} s, spark {seconds:.1f} s")
    assert not found, "on spark, marts that differ from DuckDB's or failing gates:\n" + "\n".join(found)


def test_the_comparison_catches_a_changed_value(reference, tmp_path):
    """The equality check is strict: one number off by 1e-8 relative, or one text
    changed, in a published mart is reported with its table, key and column."""
    expected, _ = reference
    changed = tmp_path / "changed"
    shutil.copytree(expected, changed)
    target = changed / "parquet" / "customer_value.parquet"
    target.chmod(0o644)
    with duckdb.connect() as con:
        con.execute(
            f"""COPY (SELECT * REPLACE (
                    CASE WHEN customer_id = (SELECT min(customer_id) FROM read_parquet('{target}'))
                         THEN net_revenue_window * (1 + 1e-8) ELSE net_revenue_window END AS net_revenue_window,
                    CASE WHEN customer_id = (SELECT max(customer_id) FROM read_parquet('{target}'))
                         THEN quadrant || '!' ELSE quadrant END AS quadrant)
                FROM read_parquet('{target}') ORDER BY customer_id) TO '{target}.new' (FORMAT parquet)"""
        )
    os.replace(f"{target}.new", target)
    found = differences(expected, changed)
    assert len(found) == 2, found
    assert any("net_revenue_window" in f for f in found) and any("quadrant" in f for f in found)


def test_a_refresh_on_postgres_runs_its_gates_there_and_keeps_its_runs_there(
    workdir, reference, postgres_server, monkeypatch, capsys
):
    """A team on PostgreSQL: dbt builds there, the gates validate there, the Dagster
    instance keeps its runs and events there too (nothing in DAGSTER_HOME's files), and
    the release equals, row for row, DuckDB's from the same files."""
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    generate(workdir / "landing", order_lines=LINES, seed=SEED, years=YEARS)
    url = postgres_server.create_database("engine_refresh")
    # The test server trusts every local connection: a password in the URL is sent
    # along and ignored, and must show up nowhere.
    secret = "pw-0f-the-engine"
    url = url.replace("postgresql://postgres@", f"postgresql://postgres:{secret}@")
    instance_url = postgres_server.create_database("dagster_instance")
    home = workdir / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("CCP_DAGSTER_POSTGRES_URL", instance_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    monkeypatch.setenv("CCP_ENGINE", "postgres")
    monkeypatch.setenv("CCP_POSTGRES_URL", url)
    settings = Settings.from_env()

    assert main([]) == 0

    assert secret not in "".join(capsys.readouterr())
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        [record] = instance.get_run_records()
        run = record.dagster_run
        assert run.status == dg.DagsterRunStatus.SUCCESS and run.job_name == "refresh"
        logs = instance.all_logs(run.run_id)
        events = {e.dagster_event.event_type for e in logs if e.dagster_event}
        assert {dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.ASSET_MATERIALIZATION} <= events
        published = instance.get_latest_materialization_event(dg.AssetKey(["published", "marts"]))
        assert published.run_id == run.run_id
        for event in logs:
            assert secret not in str(event), event
    # Nothing of the run went to SQLite files in DAGSTER_HOME.
    assert not (home / "history").exists()

    manifest = json.loads((workdir / "published" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"] == "postgres"
    gates = {g["gate"] for g in manifest["gates"]}
    assert {"raw", "staging", "predictions", "marts"} <= gates
    assert all(g["passed"] for g in manifest["gates"])
    assert manifest["tables"]["customer_value"]["rows"] > 0
    assert differences(reference[0], workdir / "published") == []
    # The marts were built in PostgreSQL, not in the ingest warehouse.
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        schemas = {s for (s,) in con.execute("SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()}
    assert "marts" not in schemas and "raw" in schemas
    engine = EngineResource(kind="postgres", postgres_url=url)
    with engine.postgres_connection() as pg, pg.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM marts.customer_value")
        assert cursor.fetchone()[0] == manifest["tables"]["customer_value"]["rows"]

    # The models again on an earlier as_of_date, as a refresh's dbt steps build them:
    # the month-end history, kept in PostgreSQL, drops the month ends after it and
    # keeps the earlier ones as built.
    history = "SELECT * FROM marts.customer_tier_history WHERE month_end <= %s ORDER BY month_end, customer_id"
    with engine.postgres_connection() as pg, pg.cursor() as cursor:
        cursor.execute("SELECT max(month_end) FROM marts.customer_tier_history")
        last_month_end = cursor.fetchone()[0]
        earlier = (pd.Timestamp(last_month_end) - pd.offsets.MonthEnd(6)).date()
        cursor.execute(history, [earlier])
        before = cursor.fetchall()
    _dbt(
        engine,
        pipeline_resources(settings)["warehouse"],
        workdir,
        "build",
        "--select",
        "intermediate marts",
        "--exclude-resource-type",
        "unit_test",
        business_vars={"as_of_date": f"{earlier + pd.Timedelta(days=10)}"},
    )
    with engine.postgres_connection() as pg, pg.cursor() as cursor:
        cursor.execute("SELECT recompute_from, reason FROM intermediate.int_history_recompute_from")
        assert cursor.fetchone() == ((earlier + pd.offsets.MonthEnd(1)).date(), "changed facts")
        cursor.execute("SELECT max(month_end) FROM marts.customer_tier_history")
        assert cursor.fetchone()[0] == earlier
        cursor.execute(history, [earlier])
        assert cursor.fetchall() == before and before
    # The password is in no file: logs, dbt's target folders, the warehouse.
    leaked = [
        path
        for path in workdir.rglob("*")
        if path.is_file() and not path.is_symlink() and secret.encode() in path.read_bytes()
    ]
    assert not leaked, leaked
