"""Write-audit-publish under failure: a failed gate, a crash in the middle of a run,
and a BI reader holding the published file never leave a reader with a broken or
half-written set, and the next good run publishes."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import duckdb
import pytest

from pipelines.core.paths import PROJECT_ROOT
from pipelines.core.settings import Settings
from pipelines.demo import generate
from pipelines.publish.release import current_release
from pipelines.run import failure_messages, run_refresh
from tests.conftest import REFRESHED, point_settings_at


def published_bytes(publish_dir: Path) -> dict[str, bytes]:
    """Every file of the live release, by path relative to the publish folder."""
    live = (publish_dir / "current").resolve()
    return {str(p.relative_to(live)): p.read_bytes() for p in sorted(live.rglob("*")) if p.is_file()}


def assert_release_readable(publish_dir: Path) -> dict:
    manifest = json.loads((publish_dir / "manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(publish_dir / "marts.duckdb"), read_only=True) as con:
        for table, info in manifest["tables"].items():
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == info["rows"]
            parquet = publish_dir / "parquet" / f"{table}.parquet"
            assert con.execute(f"SELECT count(*) FROM '{parquet}'").fetchone()[0] == info["rows"]
    return manifest


def use_edited_suite(settings: Settings, tmp_path: Path, mp: pytest.MonkeyPatch, suite: str, edit) -> None:
    """Points the run at a copy of the suites in which `edit` changed the kwargs of each
    expectation of `suite` (`<gate>/<table>.json`): suites are reviewed files, never
    edited in place."""
    suites = tmp_path / "expectations"
    shutil.copytree(settings.expectations_dir, suites)
    suite_file = suites / suite
    definition = json.loads(suite_file.read_text(encoding="utf-8"))
    for expectation in definition["expectations"]:
        edit(expectation["kwargs"])
    suite_file.write_text(json.dumps(definition), encoding="utf-8")
    mp.setenv("CCP_EXPECTATIONS_DIR", str(suites))


@pytest.fixture
def published(small_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    root = tmp_path / "workspace"
    shutil.copytree(small_release, root, symlinks=True)
    point_settings_at(monkeypatch, root)
    return Settings.from_env()


@REFRESHED
def test_same_inputs_publish_the_same_content_while_a_reader_holds_the_file(refreshed):
    settings, _, second, _, reader = refreshed
    assert second.success, failure_messages(second)
    first = reader["manifest"]
    # The reader was never blocked and still sees its consistent set...
    assert reader["after"] == reader["before"] and reader["before"][0] > 0
    # ...and a new reader sees the new release, with the same content.
    latest = assert_release_readable(settings.publish_dir)
    assert latest["run_id"] == second.run_id != first["run_id"]
    assert {t: i["checksum"] for t, i in latest["tables"].items()} == {
        t: i["checksum"] for t, i in first["tables"].items()
    }
    assert all(g["passed"] for g in latest["gates"]) and len(latest["gates"]) >= 15
    assert {g["gate"] for g in latest["gates"]} == {"raw", "staging", "predictions", "marts"}


def test_a_batch_breaking_a_raw_expectation_stops_the_run_at_the_raw_gate(published):
    settings = published
    before = published_bytes(settings.publish_dir)
    folder = settings.landing_dir / "sales" / "order_lines"
    source = sorted(folder.glob("*.csv"))[-1]
    with source.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:4]
    discount = header.index("discount_amount")
    for row in body:  # A discount larger than the line: the row rules allow it, the gate does not.
        row[discount] = "999999"
    with (folder / "9999-01.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *body])

    result = run_refresh(settings)

    assert not result.success
    messages = "\n".join(failure_messages(result))
    assert "suite raw.order_lines failed: unexpected_rows_expectation on discount_amount: 3 unexpected" in messages
    # The failure shows the rows that broke it, with the file they came from.
    assert "'_file': 'sales/order_lines/9999-01.csv'" in messages
    assert all(f"'order_id': '{row[header.index('order_id')]}'" in messages for row in body)
    ran = {e.step_key for e in result.all_events if e.is_step_start}
    assert "dbt_staging" not in ran and "dbt_marts" not in ran and "published__marts" not in ran
    assert published_bytes(settings.publish_dir) == before


def test_a_failing_staging_gate_stops_the_customer_base_models_and_the_marts(published, tmp_path, monkeypatch):
    settings = published
    before = published_bytes(settings.publish_dir)

    # The customer-base models' inputs are built in the staging dbt step, before this
    # gate: a suite every staged order line breaks must still stop the models.
    def breaks_every_line(kwargs: dict) -> None:
        if kwargs.get("column") == "quantity":
            kwargs["min_value"] = 1_000_000

    use_edited_suite(settings, tmp_path, monkeypatch, "staging/stg_sales__order_lines.json", breaks_every_line)

    result = run_refresh(Settings.from_env())

    assert not result.success
    messages = "\n".join(failure_messages(result))
    assert "suite staging.stg_sales__order_lines failed: expect_column_values_to_be_between on quantity" in messages
    ran = {e.step_key for e in result.all_events if e.is_step_start}
    assert {"dbt_staging", "staging_gate"} <= ran
    assert not ran & {"customer_base_models", "predictions_gate", "dbt_marts", "published__marts"}, ran
    assert published_bytes(settings.publish_dir) == before


def test_a_broken_mart_invariant_stops_publishing_at_the_marts_gate(published, tmp_path, monkeypatch):
    settings = published
    before = published_bytes(settings.publish_dir)

    # A copy of the suites with an invariant today's mart breaks (tiers
    # must cover every customer, here with a tier the mart never uses).
    def drops_a_tier(kwargs: dict) -> None:
        if kwargs.get("column") == "pareto_tier" and "value_set" in kwargs:
            kwargs["value_set"] = ["A", "B", "C"]

    use_edited_suite(settings, tmp_path, monkeypatch, "marts/customer_value.json", drops_a_tier)

    result = run_refresh(Settings.from_env())

    assert not result.success
    messages = "\n".join(failure_messages(result))
    assert "suite marts.customer_value failed: expect_column_values_to_be_in_set on pareto_tier" in messages
    ran = {e.step_key for e in result.all_events if e.is_step_start}
    assert "dbt_marts" in ran and "published__marts" not in ran
    assert published_bytes(settings.publish_dir) == before


def test_a_failing_dbt_test_fails_its_models_check_and_stops_the_run(published):
    settings = published
    before = published_bytes(settings.publish_dir)
    # The staged customers are incremental: a duplicate planted there stays, with no new
    # file to ingest, until dbt's uniqueness test on the key finds it.
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(
            "INSERT INTO staging.stg_crm__customers SELECT * FROM staging.stg_crm__customers "
            "ORDER BY customer_id LIMIT 1"
        )
        # Two nulls in a column whose not-null test shares one scan with the key's.
        con.execute(
            "UPDATE staging.stg_crm__customers SET loaded_at = NULL WHERE customer_id IN "
            "(SELECT customer_id FROM staging.stg_crm__customers ORDER BY customer_id DESC LIMIT 2)"
        )

    result = run_refresh(settings)

    assert not result.success
    evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed = [e for e in evaluations if not e.passed]
    assert [(e.asset_key.to_user_string(), e.check_name) for e in failed] == [
        ("staging/stg_crm__customers", "dbt_tests")
    ]
    problems = failed[0].metadata["problems"].value
    assert sorted((p["test"], p["status"], p["failing_rows"]) for p in problems) == [
        ("not_null_stg_crm__customers_loaded_at", "fail", 2),
        ("unique_stg_crm__customers_customer_id", "fail", 1),
    ]
    # Each not-null column counts as a test of its own, the passing key column too.
    assert failed[0].metadata["failed"].value == 2 and failed[0].metadata["tests"].value > 3
    assert "not_null_stg_crm__customers_loaded_at fail (2 rows)" in failed[0].description
    # Every other staging model's tests passed, each model as one check.
    passed = {e.asset_key.to_user_string() for e in evaluations if e.passed and e.check_name == "dbt_tests"}
    assert "staging/stg_sales__orders" in passed
    messages = "\n".join(failure_messages(result))
    assert "staging/stg_crm__customers dbt tests: " in messages
    for problem in (
        "not_null_stg_crm__customers_loaded_at fail (2 rows)",
        "unique_stg_crm__customers_customer_id fail (1 rows)",
    ):
        assert problem in messages
    ran = {e.step_key for e in result.all_events if e.is_step_start}
    assert "dbt_staging" in ran
    assert not ran & {"staging_gate", "customer_base_models", "dbt_marts", "published__marts"}
    assert published_bytes(settings.publish_dir) == before


def _start_run(settings: Settings, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.run"],
        cwd=PROJECT_ROOT,
        env={**os.environ},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _kill_when(process: subprocess.Popen, ready, timeout: float = 240) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if ready():
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    return False


def _dbt_running(root: int) -> bool:
    out = subprocess.run(["pgrep", "-s", str(root), "-f", "dbt build"], capture_output=True, text=True)
    return bool(out.stdout.strip())


def test_a_run_killed_mid_way_leaves_the_published_set_intact(published):
    """A run killed while dbt builds, then the next one killed while it writes the new
    release: each time the live release stays as it was and readable, and the run after
    both publishes."""
    settings = published
    before = published_bytes(settings.publish_dir)
    live = current_release(settings.publish_dir).release_id
    # New data, so the killed runs had something new to publish.
    generate(settings.landing_dir / "next", order_lines=200, seed=99)
    for table_dir in (settings.landing_dir / "next").glob("*/*"):
        target = settings.landing_dir / table_dir.parent.name / table_dir.name
        for f in table_dir.iterdir():
            shutil.move(f, target / f"x{f.name}")
    shutil.rmtree(settings.landing_dir / "next")

    building = settings.publish_dir / "releases"
    phases = {
        "dbt": lambda process: _dbt_running(process.pid),
        "publish": lambda process: any(building.glob(".building-*")),
    }
    for phase, reached in phases.items():
        log = settings.warehouse.parent / f"killed-{phase}.log"
        process = _start_run(settings, log)
        assert _kill_when(process, partial(reached, process)), log.read_text()[-2000:]

        assert published_bytes(settings.publish_dir) == before, phase
        assert current_release(settings.publish_dir).release_id == live
        assert_release_readable(settings.publish_dir)

    result = run_refresh(settings)
    assert result.success, failure_messages(result)
    assert current_release(settings.publish_dir).release_id != live
    assert_release_readable(settings.publish_dir)
