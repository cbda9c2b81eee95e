"""The Dagster instance: where runs, events and schedules are stored, and how long.

`python -m pipelines.instance` writes `$DAGSTER_HOME/dagster.yaml` from the settings
(`make dev` and `make run` do it first): SQLite files beside it by default, PostgreSQL
when CCP_DAGSTER_POSTGRES_URL is set. The file names the variable, never its value, so
a password in the URL stays in the environment. Runs older than CCP_RUN_RETENTION_DAYS
are deleted with their event logs by the `prune_run_history` sensor (and after each
`make run`), so the event log stays bounded.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import yaml

from pipelines.core.settings import Settings, SettingsError

CONFIG_FILE = "dagster.yaml"
POSTGRES_URL_VARIABLE = "CCP_DAGSTER_POSTGRES_URL"
FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
HEADER = """\
# Dagster instance of the core-customer pipeline, written from the settings by
# `python -m pipelines.instance` (`make dev` and `make run` run it): edit the settings
# (.env.example, docs/operations.md), not this file. Runs, events and schedules are in
# SQLite files beside it unless CCP_DAGSTER_POSTGRES_URL is set. One refresh runs at a
# time (runs tagged ccp/warehouse): DuckDB allows one writing process per file.
"""


def instance_config(settings: Settings) -> dict:
    config: dict = {
        # Dagster tries the network at start-up unless this is off.
        "telemetry": {"enabled": False},
        "concurrency": {
            # DuckDB allows one writing process per file: one refresh at a time.
            "runs": {"tag_concurrency_limits": [{"key": "ccp/warehouse", "limit": 1}]}
        },
        # Schedule and sensor ticks are history too; runs are pruned by the sensor.
        "retention": {
            "schedule": {"purge_after_days": settings.run_retention_days},
            "sensor": {
                "purge_after_days": {"skipped": 7, "failure": settings.run_retention_days, "success": 7},
            },
        },
    }
    if settings.dagster_postgres_url:
        config["storage"] = {"postgres": {"postgres_url": {"env": POSTGRES_URL_VARIABLE}}}
    return config


def write_instance_config(home: Path, settings: Settings) -> Path:
    """Write `home/dagster.yaml` when its content differs from the settings'."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / CONFIG_FILE
    text = HEADER + yaml.safe_dump(instance_config(settings), sort_keys=False)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        temporary = path.with_name(f".{CONFIG_FILE}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    return path


def prune_runs(instance: dg.DagsterInstance, retention_days: int, now: datetime | None = None) -> list[str]:
    """Delete finished runs created more than `retention_days` before `now`, with their
    event logs; runs still going are left alone. Returns the deleted run ids."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    records = instance.get_run_records(filters=dg.RunsFilter(created_before=cutoff, statuses=list(FINISHED)))
    deleted = []
    for record in records:
        instance.delete_run(record.dagster_run.run_id)
        deleted.append(record.dagster_run.run_id)
    return deleted


def prune_sensor(settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(
        name="prune_run_history",
        minimum_interval_seconds=6 * 3600,
        description=(
            "Deletes finished runs older than CCP_RUN_RETENTION_DAYS and their event logs, so the "
            "instance's history stays bounded. Starts no run."
        ),
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def prune_run_history(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        deleted = prune_runs(context.instance, settings.run_retention_days)
        if deleted:
            context.log.info(f"Deleted {len(deleted)} runs older than {settings.run_retention_days} days")
        return dg.SkipReason(f"{len(deleted)} runs older than {settings.run_retention_days} days deleted.")

    return prune_run_history


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.instance", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="the instance folder (default: $DAGSTER_HOME)")
    args = parser.parse_args(argv)
    home = args.home or os.environ.get("DAGSTER_HOME")
    if not home:
        print("error: set DAGSTER_HOME or pass --home", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = write_instance_config(Path(home), settings)
    storage = "PostgreSQL ($CCP_DAGSTER_POSTGRES_URL)" if settings.dagster_postgres_url else "SQLite"
    print(f"{path}: runs, events and schedules in {storage}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
