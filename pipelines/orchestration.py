"""The refresh job and what starts it: a daily schedule and a sensor on landed files."""

import hashlib

import dagster as dg

from pipelines.ingest.contract import TABLES
from pipelines.ingest.loader import landed_files
from pipelines.settings import Settings

REFRESH_JOB = "refresh"
# dagster.yaml limits runs with this tag to one at a time: DuckDB has one writer.
WAREHOUSE_TAG = {"ccp/warehouse": "writer"}


def refresh_job():
    return dg.define_asset_job(
        REFRESH_JOB,
        selection=dg.AssetSelection.all(),
        description="Ingest landed files, build every dbt model, gate and publish the marts.",
        tags=WAREHOUSE_TAG,
    )


def as_of_run_config(as_of_date: str) -> dict:
    return {"resources": {"run_parameters": {"config": {"as_of_date": as_of_date}}}}


def daily_schedule(settings: Settings) -> dg.ScheduleDefinition:
    @dg.schedule(
        job_name=REFRESH_JOB,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.timezone,
        description="Daily refresh; the run's as_of_date is the date of the tick.",
    )
    def daily_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = context.scheduled_execution_time.date().isoformat()
        return dg.RunRequest(run_key=day, run_config=as_of_run_config(day), tags={"as_of_date": day})

    return daily_refresh


def landing_fingerprint(settings: Settings) -> str:
    """Names, sizes and modification times of every landed file: cheap to compute and
    changes whenever a batch lands. The sensor never opens the warehouse (the writer
    may hold it)."""
    digest = hashlib.sha256()
    for table in TABLES:
        for path in landed_files(settings.landing_dir, table):
            stat = path.stat()
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(
    job_name=REFRESH_JOB,
    minimum_interval_seconds=60,
    description="Starts a refresh when files land in the landing folder.",
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    fingerprint = landing_fingerprint(Settings.from_env())
    if fingerprint == context.cursor:
        return dg.SensorResult(skip_reason="No new landed files.")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=fingerprint)], cursor=fingerprint)
