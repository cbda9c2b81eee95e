"""Operating the pipeline: the daily run's date, the archive of past dates and the
month-end backfill job, failure alerts, landing freshness, the instance's storage and
the pruning of old runs."""

from __future__ import annotations

import csv
import json
import os
import shutil
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines.alerts import failure_alert_sensor
from pipelines.core.settings import Settings
from pipelines.demo import generate
from pipelines.ingest.freshness import build_freshness_checks, landing_freshness
from pipelines.ingest.loader import LEDGER, ensure_raw_schema
from pipelines.instance import instance_config, prune_runs, prune_sensor, write_instance_config
from pipelines.orchestration import daily_schedule, month_end_partitions, month_ends
from pipelines.publish.__main__ import main as publish_command
from pipelines.publish.release import current_release
from pipelines.report import RunReport, freshness_lines, render
from pipelines.run import failure_messages, run_refresh
from pipelines.transform.project import target_dir

ORDER_LINES = 2000


# --- The daily run's date ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("tick", "as_of"),
    [
        # 06:00 in Shanghai on 1 March: the last complete day is 28 February.
        (datetime(2026, 3, 1, 6, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "2026-02-28"),
        # 23:30 UTC on 1 March is already 2 March in Shanghai: the day before is 1 March.
        (datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "2026-03-01"),
        (datetime(2024, 1, 1, 6, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "2023-12-31"),
    ],
)
def test_the_daily_run_is_as_of_the_last_complete_day_in_the_schedule_timezone(tick, as_of, tmp_path):
    schedule = daily_schedule(Settings.from_env({"CCP_WAREHOUSE": str(tmp_path / "w.duckdb")}))
    assert schedule.execution_timezone == "Asia/Shanghai"
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.run_config == {"resources": {"run_parameters": {"config": {"as_of_date": as_of}}}}
    assert request.tags["as_of_date"] == as_of
    assert request.run_key == as_of


# --- Month-end partitions -----------------------------------------------------------------


def test_month_end_partitions_run_from_the_start_setting_to_the_last_complete_month():
    assert month_ends(date(2024, 1, 15), date(2024, 4, 30)) == ["2024-01-31", "2024-02-29", "2024-03-31"]
    assert month_ends(date(2024, 11, 30), date(2025, 1, 1)) == ["2024-11-30", "2024-12-31"]
    assert month_ends(date(2025, 1, 31), date(2025, 1, 31)) == []
    settings = Settings.from_env({"CCP_BACKFILL_START": "2025-10-01"})
    keys = month_end_partitions(settings, today=date(2026, 1, 5)).get_partition_keys()
    assert keys == ["2025-10-31", "2025-11-30", "2025-12-31"]


def test_a_month_end_that_is_not_a_partition_is_refused_before_anything_runs(workdir, capsys):
    from pipelines.run import main

    assert main(["--month-end", "2025-06-15"]) == 2
    assert "--month-end='2025-06-15' is not a month end from CCP_BACKFILL_START" in capsys.readouterr().err
    assert main(["--month-end", "2025-06-30", "--as-of-date", "2025-06-30"]) == 2
    assert not (workdir / "warehouse.duckdb").exists()
    assert not any((workdir / "landing").iterdir())


# --- A workspace with a live release ------------------------------------------------------


def _point_settings_at(mp: pytest.MonkeyPatch, root: Path) -> None:
    mp.setenv("CCP_LANDING_DIR", str(root / "landing"))
    mp.setenv("CCP_WAREHOUSE", str(root / "warehouse.duckdb"))
    mp.setenv("CCP_PUBLISH_DIR", str(root / "published"))
    mp.setenv("CCP_DUCKDB_TEMP_DIR", str(root / "duckdb_tmp"))
    mp.setenv("CCP_BACKFILL_START", "2025-01-01")
    for name in (
        "CCP_AS_OF_DATE",
        "CCP_DBT_VARS",
        "CCP_EXPECTATIONS_DIR",
        "DAGSTER_HOME",
        "CCP_ALERT_WEBHOOK_URL",
        "CCP_DAGSTER_POSTGRES_URL",
        "CCP_MAX_LANDING_AGE_HOURS",
    ):
        mp.delenv(name, raising=False)


@pytest.fixture
def workspace(small_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A copy of the shared workspace whose one run published (as of the latest order,
    2025-12-31)."""
    root = tmp_path / "workspace"
    shutil.copytree(small_release, root, symlinks=True)
    _point_settings_at(monkeypatch, root)
    return Settings.from_env()


def _live_files(publish_dir: Path) -> dict[str, bytes]:
    live = (publish_dir / "current").resolve()
    return {str(p.relative_to(live)): p.read_bytes() for p in sorted(live.rglob("*")) if p.is_file()}


# --- Past dates go to the archive; the backfill job -----------------------------------------


def test_a_month_end_partition_run_archives_its_date_and_leaves_current_alone(workspace, capsys):
    settings = workspace
    live = current_release(settings.publish_dir)
    assert live.manifest["as_of_date"] == "2025-12-31"
    link_before = os.readlink(settings.publish_dir / "current")
    files_before = _live_files(settings.publish_dir)

    # One run of a backfill; the landing limit is tiny so every raw table is stale.
    stale = {"landing": {"path": str(settings.landing_dir), "max_age_hours": 0.000001}}
    result = run_refresh(settings, month_end="2025-06-30", resources=stale)

    assert result.success, failure_messages(result)
    assert result.dagster_run.tags["dagster/partition"] == "2025-06-30"
    # Its as_of_date is a var the project was not parsed with: the first dbt step parses
    # again and hands the parse on, so the later step starts from it.
    logs = {
        step: (next(target_dir().glob(f"{step}-{result.run_id[:7]}-*")) / "dbt.log").read_text(encoding="utf-8")
        for step in ("dbt_staging", "dbt_marts")
    }
    assert "Unable to do partial parsing" in logs["dbt_staging"]
    assert "Unable to do partial parsing" not in logs["dbt_marts"]
    assert result.dagster_run.tags["as_of_date"] == "2025-06-30"
    # The partition key became the run's as_of_date, down to the marts.
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("SELECT max(as_of_date) FROM marts.pareto_summary").fetchone()[0] == date(2025, 6, 30)
    archived = settings.publish_dir / "as_of" / "2025-06-30"
    manifest = json.loads((archived / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of_date"] == "2025-06-30" and manifest["run_id"] == result.run_id
    with duckdb.connect(str(archived / "marts.duckdb"), read_only=True) as con:
        for table, info in manifest["tables"].items():
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == info["rows"]
            parquet = archived / "parquet" / f"{table}.parquet"
            assert con.execute(f"SELECT count(*) FROM '{parquet}'").fetchone()[0] == info["rows"]
    # The live set BI tools read did not move.
    assert os.readlink(settings.publish_dir / "current") == link_before
    assert _live_files(settings.publish_dir) == files_before
    assert json.loads((settings.publish_dir / "manifest.json").read_text())["as_of_date"] == "2025-12-31"

    # Stale landing data warns and the run went on: non-blocking, in the summary too.
    report = RunReport.from_result(result)
    assert len(report.freshness) == 6 and not any(passed for passed, _ in report.freshness)
    assert report.failures == []
    summary = render(report, settings)
    assert "WARNING, landed data is old" in summary and "raw.orders: STALE" in summary
    assert "Archived release" in summary and "as_of/2025-06-30" in summary

    # The status command lists the archived date beside the live release.
    assert publish_command(["status"]) == 0
    out = capsys.readouterr().out
    assert "Live release:" in out and "as of 2025-12-31" in out
    assert f"2025-06-30  release {manifest['release_id']}, run {result.run_id}" in out
    # The same date published again replaces its archived set: tests/test_publish.py.


# --- Failure alerts -----------------------------------------------------------------------


class _Webhook:
    """A local webhook that answers 500 to the first `fail_first` posts, then 200."""

    def __init__(self, fail_first: int = 1):
        self.received: list[dict] = []
        self.attempts = 0
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                webhook.attempts += 1
                if webhook.attempts <= fail_first:
                    self.send_response(500)
                else:
                    webhook.received.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook/secret-token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = _Webhook(fail_first=1)
    yield hook
    hook.close()


def _break_raw_gate(landing_dir: Path) -> None:
    """A batch whose discounts exceed their lines: row rules allow it, the raw gate not."""
    folder = landing_dir / "sales" / "order_lines"
    with sorted(folder.glob("*.csv"))[-1].open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:4]
    for row in body:
        row[header.index("discount_amount")] = "999999"
    with (folder / "9999-01.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *body])


def test_a_failed_make_run_and_the_failure_sensor_post_the_same_alert(workdir, webhook, monkeypatch, capsys):
    from pipelines import alerts
    from pipelines.run import main

    generate(workdir / "landing", order_lines=ORDER_LINES, seed=5)
    _break_raw_gate(workdir / "landing")
    home = workdir / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("CCP_ALERT_WEBHOOK_URL", webhook.url)
    monkeypatch.setenv("CCP_DAGSTER_UI_URL", "http://dagster.example:3000/")
    monkeypatch.setattr(alerts, "FIRST_BACKOFF", 0.05)

    assert main([]) == 1

    # The webhook answered 500 once; the retry delivered.
    assert webhook.attempts == 2 and len(webhook.received) == 1
    alert = webhook.received[0]
    run_id = alert["run_id"]
    assert alert["job"] == "refresh" and alert["status"] == "FAILURE"
    assert alert["failed_step"] == "raw_gate"
    expected = "suite raw.order_lines failed: unexpected_rows_expectation on discount_amount: 3 unexpected"
    assert expected in alert["message"]
    assert alert["run_url"] == f"http://dagster.example:3000/runs/{run_id}"
    assert run_id[:8] in alert["text"] and expected in alert["text"] and alert["run_url"] in alert["text"]
    # Always logged, whether sent or not; the URL's token never is.
    err = capsys.readouterr().err
    assert f"Run failure alert: {json.dumps(alert, ensure_ascii=False)}" in err
    assert "secret-token" not in err

    # The run is in DAGSTER_HOME's instance: the daemon's sensor on it says the same.
    with dg.DagsterInstance.get() as instance:
        run = instance.get_run_by_id(run_id)
        assert run.status == dg.DagsterRunStatus.FAILURE
        failure = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0].dagster_event
        context = dg.build_run_status_sensor_context(
            sensor_name="failure_alert", dagster_instance=instance, dagster_run=run, dagster_event=failure
        ).for_run_failure()
        failure_alert_sensor(Settings.from_env())(context)
    assert webhook.received[1] == alert


def test_without_a_webhook_the_alert_is_only_logged(monkeypatch, capsys):
    from pipelines.alerts import send_alert

    logged = []
    assert send_alert({"text": "x"}, "", log=logged.append) is False
    assert logged == ['Run failure alert: {"text": "x"}']
    # A webhook that is down: a few attempts, then the log says so; the caller goes on.
    assert (
        send_alert({"text": "x"}, "http://127.0.0.1:9/down", attempts=2, first_backoff=0.01, log=logged.append) is False
    )
    assert "did not take the alert after 2 attempts" in logged[-1]


# --- Freshness ------------------------------------------------------------------------------


def test_freshness_warns_on_a_table_whose_newest_batch_is_older_than_the_limit(tmp_path):
    now = datetime(2026, 5, 10, 12, 0)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ensure_raw_schema(con)
        for table, hours_ago in (("orders", 2), ("orders", 80), ("customers", 40)):
            con.execute(
                f"INSERT INTO {LEDGER} VALUES (?, ?, 'b', 1, ?, 1, 1, 0, ?)",
                [table, f"{table}/{hours_ago}.csv", f"sha{hours_ago}", now - timedelta(hours=hours_ago)],
            )
        fresh = landing_freshness(con, "orders", 36, now=now)
        stale = landing_freshness(con, "customers", 36, now=now)
        never = landing_freshness(con, "returns", 36, now=now)
    assert fresh.fresh and fresh.age_hours == 2.0
    assert not stale.fresh and stale.age_hours == 40.0
    assert "raw.customers: STALE" in stale.description and "40.0 h ago (limit 36 h" in stale.description
    assert not never.fresh and "no batch has been loaded yet" in never.description
    report = RunReport(run_id="r", success=True, freshness=[(True, fresh.description), (False, stale.description)])
    assert freshness_lines(report) == [
        "WARNING, landed data is old (the run went on with what is there):",
        f"  {stale.description}",
    ]


def test_the_freshness_check_is_a_non_blocking_warning_on_each_raw_table(tmp_path):
    from pipelines.core.resources import LandingResource
    from pipelines.core.warehouse import WarehouseResource
    from pipelines.ingest.contract import TABLES

    check = build_freshness_checks()
    assert {key.asset_key for key in check.check_keys} == {dg.AssetKey(["raw", t.name]) for t in TABLES}
    assert not any(spec.blocking for spec in check.check_specs)
    warehouse = WarehouseResource(path=str(tmp_path / "w.duckdb"), temp_dir=str(tmp_path / "tmp"))
    with warehouse.connect() as con:
        ensure_raw_schema(con)
        con.execute(
            f"INSERT INTO {LEDGER} VALUES ('orders', 'o.csv', 'b', 1, 's', 1, 1, 0, ?)",
            [datetime.now() - timedelta(hours=10)],
        )

    def evaluate(max_age_hours: float) -> dict[str, dg.AssetCheckEvaluation]:
        defs = dg.Definitions(
            assets=[dg.AssetSpec(key.asset_key) for key in check.check_keys],
            asset_checks=[check],
            jobs=[dg.define_asset_job("freshness", selection=dg.AssetSelection.all_asset_checks())],
            resources={
                "warehouse": warehouse,
                "landing": LandingResource(path=str(tmp_path), max_age_hours=max_age_hours),
            },
        )
        result = defs.resolve_job_def("freshness").execute_in_process()
        # Failed warnings never fail the run.
        assert result.success
        return {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}

    fresh = evaluate(36)
    assert fresh["orders"].passed and fresh["orders"].severity == dg.AssetCheckSeverity.WARN
    assert not fresh["customers"].passed and "no batch has been loaded yet" in fresh["customers"].description
    stale = evaluate(5)
    assert not stale["orders"].passed and stale["orders"].severity == dg.AssetCheckSeverity.WARN
    assert "raw.orders: STALE" in stale["orders"].description


# --- The instance: storage and pruning -------------------------------------------------------


def test_the_instance_file_names_the_postgres_variable_never_its_value(tmp_path):
    sqlite = instance_config(Settings.from_env({}))
    assert "storage" not in sqlite and sqlite["telemetry"] == {"enabled": False}
    url = "postgresql+psycopg2://dagster:s3cret@db.internal:5432/dagster"
    path = write_instance_config(tmp_path, Settings.from_env({"CCP_DAGSTER_POSTGRES_URL": url}))
    text = path.read_text(encoding="utf-8")
    assert "s3cret" not in text
    assert yaml.safe_load(text)["storage"] == {"postgres": {"postgres_url": {"env": "CCP_DAGSTER_POSTGRES_URL"}}}


def test_the_committed_instance_file_is_what_the_default_settings_write(tmp_path):
    from pipelines.core.paths import PROJECT_ROOT

    written = write_instance_config(tmp_path, Settings.from_env({})).read_text(encoding="utf-8")
    assert (PROJECT_ROOT / "dagster_home" / "dagster.yaml").read_text(encoding="utf-8") == written


@dg.op
def _noop() -> None:
    pass


@dg.job
def _tiny_job():
    _noop()


def test_runs_older_than_the_retention_are_deleted_with_their_events(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        old = _tiny_job.execute_in_process(instance=instance).run_id
        recent = _tiny_job.execute_in_process(instance=instance).run_id
        # Make the first run 40 days old, as the run storage would hold it.
        from dagster._core.storage.runs.schema import RunsTable

        with instance.run_storage.connect() as conn:
            conn.execute(
                RunsTable.update()
                .where(RunsTable.c.run_id == old)
                .values(create_timestamp=datetime.now(UTC).replace(tzinfo=None) - timedelta(days=40))
            )
        assert instance.all_logs(old)

        sensor = prune_sensor(Settings.from_env({"CCP_RUN_RETENTION_DAYS": "30"}))
        outcome = sensor(dg.build_sensor_context(instance=instance))
        assert "1 runs older than 30 days deleted" in outcome.skip_message

        assert instance.get_run_by_id(old) is None and instance.all_logs(old) == []
        assert instance.get_run_by_id(recent) is not None and instance.all_logs(recent)
        # Nothing is younger than 30 days now but the recent run: a second pass deletes nothing.
        assert prune_runs(instance, 30) == []
        assert prune_runs(instance, 30, now=datetime.now(UTC) + timedelta(days=31)) == [recent]
