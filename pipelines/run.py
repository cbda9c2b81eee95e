"""`make run`: the refresh job on the embedded default, then a short summary.

Generates the demo data set first when the landing folder holds no files, runs every
asset in this process through Dagster (the run shows in `make dev`'s UI), and exits
non-zero with the failing step's message when anything fails.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.alerts import failure_alert, send_alert
from pipelines.core.engines import redact
from pipelines.core.landing import landed_files
from pipelines.core.settings import Settings, SettingsError
from pipelines.core.warehouse import quiet_interpreter_shutdown
from pipelines.ingest.contract import TABLES
from pipelines.instance import prune_runs, write_instance_config
from pipelines.orchestration import MONTH_END_JOB, REFRESH_JOB, as_of_run_config, month_end_partitions
from pipelines.report import RunReport, failure_messages, render

__all__ = ["failure_messages", "main", "run_refresh"]


def landing_is_empty(settings: Settings) -> bool:
    return not any(landed_files(settings.landing_dir, table.source, table.name) for table in TABLES)


def ensure_demo_data(settings: Settings) -> None:
    # The demo is a set of landed files: with sales in a database it would stand beside them.
    if settings.sales_source_url or not landing_is_empty(settings):
        return
    from pipelines.demo import generate

    lines = settings.demo_order_lines
    print(f"Landing folder {settings.landing_dir} is empty: generating {lines:,} demo order lines.")
    generate(settings.landing_dir, order_lines=lines, seed=7)


def _instance(settings: Settings) -> dg.DagsterInstance:
    """The instance in DAGSTER_HOME (its storage written from the settings, see
    pipelines/instance.py), or a throwaway one when DAGSTER_HOME is not set."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return dg.DagsterInstance.ephemeral()
    write_instance_config(Path(home), settings)
    return dg.DagsterInstance.get()


def run_refresh(
    settings: Settings,
    as_of_date: str | None = None,
    log_level: str | None = None,
    full_refresh: bool = False,
    resources: dict[str, dict[str, Any]] | None = None,
    instance: dg.DagsterInstance | None = None,
    month_end: str | None = None,
) -> dg.ExecuteInProcessResult:
    """One refresh in this process with these settings; `resources` overrides resource
    config for this run only, as the launchpad would. Without `instance`, the one in
    DAGSTER_HOME (or a throwaway one). `month_end`: run the month-end job for that
    partition instead, as one run of a backfill does."""
    from pipelines.definitions import build_definitions

    job = build_definitions(settings).resolve_job_def(MONTH_END_JOB if month_end else REFRESH_JOB)
    run_config: dict[str, Any] = as_of_run_config(as_of_date, "--as-of-date") if as_of_date else {}
    if month_end:
        # Run config given here replaces the partition's own: start from the partition's.
        run_config = job.partitioned_config.get_run_config_for_partition_key(month_end)
    for name, config in (resources or {}).items():
        run_config.setdefault("resources", {}).setdefault(name, {}).setdefault("config", {}).update(config)
    if full_refresh:
        parameters = run_config.setdefault("resources", {}).setdefault("run_parameters", {})
        parameters.setdefault("config", {})["full_refresh"] = True
    # Step logs go to the run's record (see `make dev`); the terminal gets the summary.
    run_config["loggers"] = {"console": {"config": {"log_level": log_level or settings.log_level}}}
    options = {"run_config": run_config, "raise_on_error": False, "partition_key": month_end}
    if instance is not None:
        return job.execute_in_process(instance=instance, **options)
    with _instance(settings) as owned:
        return job.execute_in_process(instance=owned, **options)


def alert_on_failure(result: dg.ExecuteInProcessResult, settings: Settings) -> bool:
    """What the daemon's failure sensor does, for a run `make run` started in process."""
    alert = failure_alert(result.run_id, result.job_def.name, result.all_events, settings.dagster_ui_url)
    return send_alert(alert, settings.alert_webhook_url, log=lambda line: print(line, file=sys.stderr))


def prune_history(settings: Settings) -> None:
    """Keep the instance's history bounded when no daemon runs the pruning sensor."""
    if not os.environ.get("DAGSTER_HOME"):
        return
    with _instance(settings) as instance:
        prune_runs(instance, settings.run_retention_days)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of-date", help="reference date YYYY-MM-DD (default: CCP_AS_OF_DATE or latest order)")
    parser.add_argument(
        "--month-end",
        help="run the month-end job for this partition (YYYY-MM-DD), as one run of a backfill",
    )
    parser.add_argument("--verbose", action="store_true", help="show dbt's output as it runs")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental staging models from every raw row",
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.as_of_date:
            as_of_run_config(args.as_of_date, "--as-of-date")
        if args.month_end:
            if args.as_of_date:
                raise SettingsError("--month-end is the run's as_of_date: give one of --month-end, --as-of-date")
            as_of_run_config(args.month_end, "--month-end")
            keys = month_end_partitions(settings).get_partition_keys()
            if args.month_end not in keys:
                raise SettingsError(
                    f"--month-end={args.month_end!r} is not a month end from CCP_BACKFILL_START up to the last "
                    f"complete month ({keys[0] if keys else 'none'} .. {keys[-1] if keys else 'none'})"
                )
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    ensure_demo_data(settings)
    log_file = settings.warehouse.parent / "logs" / "refresh.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    origin = str(settings.landing_dir)
    if settings.sales_source_url:
        origin += f" and sales from {redact(settings.sales_source_url)} (schema {settings.sales_source_schema})"
    target = str(settings.warehouse)
    if settings.engine != "duckdb":
        where = redact(settings.postgres_url) if settings.engine == "postgres" else settings.spark_master
        target += f" and the {settings.engine} engine ({where})"
    print(f"Refreshing {target} from {origin} (dbt log: {log_file}) ...", flush=True)
    with log_file.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(sys.stdout if args.verbose else log):
        result = run_refresh(settings, args.as_of_date, full_refresh=args.full_refresh, month_end=args.month_end)
    report = RunReport.from_result(result)
    print(render(report, settings))
    elapsed = time.perf_counter() - started
    prune_history(settings)
    if not report.success:
        print(f"\nRun {report.run_id} FAILED after {elapsed:.1f} s:", file=sys.stderr)
        for message in report.failures:
            print(f"  {message}", file=sys.stderr)
        alert_on_failure(result, settings)
        return 1
    print(f"\nRun {report.run_id} succeeded in {elapsed:.1f} s.")
    return 0


if __name__ == "__main__":
    exit_code = main()
    quiet_interpreter_shutdown()
    # Everything is written and closed. Tearing down the interpreter's modules (dbt,
    # Dagster, GX, pandas, scipy) took 2.4 s after every run on 2 cores; the exit
    # handlers (temporary folders, logging) still run, then the process ends.
    atexit._run_exitfuncs()
    os._exit(exit_code)
