"""The refresh job and what starts it: a daily schedule and a sensor on landed files."""

from datetime import date

import dagster as dg

from pipelines.core.landing import landing_fingerprint
from pipelines.core.resources import LandingResource
from pipelines.core.settings import Settings, parse_as_of_date
from pipelines.ingest.contract import TABLES

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


def as_of_run_config(as_of_date: date | str, source: str) -> dict:
    """Run config that sets a run's as_of_date, checked here by the one date check."""
    checked = parse_as_of_date(as_of_date, source)
    if checked is None:
        return {}
    return {"resources": {"run_parameters": {"config": {"as_of_date": checked.isoformat()}}}}


def daily_schedule(settings: Settings) -> dg.ScheduleDefinition:
    @dg.schedule(
        job_name=REFRESH_JOB,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.timezone,
        description="Daily refresh; the run's as_of_date is the date of the tick.",
    )
    def daily_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = context.scheduled_execution_time.date().isoformat()
        return dg.RunRequest(
            run_key=day,
            run_config=as_of_run_config(day, "schedule daily_refresh: as_of_date"),
            tags={"as_of_date": day},
        )

    return daily_refresh


@dg.sensor(
    job_name=REFRESH_JOB,
    minimum_interval_seconds=60,
    description=(
        "Starts a refresh when files land in the landing folder. It only lists the folder: "
        "the run holding the warehouse is never disturbed."
    ),
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingResource) -> dg.SensorResult:
    fingerprint = landing_fingerprint(landing.folder, [(t.source, t.name) for t in TABLES])
    if fingerprint == context.cursor:
        return dg.SensorResult(skip_reason="No new landed files.")
    # The run's as_of_date is the run_parameters default (CCP_AS_OF_DATE or the latest
    # order), checked when the run starts like any other.
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=fingerprint)], cursor=fingerprint)
