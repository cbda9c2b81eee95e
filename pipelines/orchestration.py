"""The refresh job and what starts it: a daily schedule, a sensor on landed files, and
the month-end job a backfill fills the archive of past dates with."""

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.core.landing import landing_fingerprint
from pipelines.core.resources import LandingResource
from pipelines.core.settings import Settings, parse_as_of_date
from pipelines.ingest.contract import TABLES

REFRESH_JOB = "refresh"
MONTH_END_JOB = "refresh_month_end"
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


def scheduled_as_of_date(tick: datetime, timezone: str) -> date:
    """The last complete day in the schedule's timezone: the tick's date minus one, as
    orders of the tick's own day are still arriving."""
    return tick.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)


def daily_schedule(settings: Settings) -> dg.ScheduleDefinition:
    @dg.schedule(
        job_name=REFRESH_JOB,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.timezone,
        description=(
            "Daily refresh; the run's as_of_date is the last complete day: the tick's date (in CCP_TIMEZONE) minus one."
        ),
    )
    def daily_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = scheduled_as_of_date(context.scheduled_execution_time, settings.timezone).isoformat()
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


def month_ends(start: date, today: date) -> list[str]:
    """Every month end from the one of `start`'s month to the last one before `today`."""
    ends = []
    year, month = start.year, start.month
    while True:
        end = date(year, month, calendar.monthrange(year, month)[1])
        if end >= today:
            return ends
        ends.append(end.isoformat())
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def month_end_partitions(settings: Settings, today: date | None = None) -> dg.StaticPartitionsDefinition:
    """Month ends from CCP_BACKFILL_START up to the last complete month, as of the day the
    definitions load (the code location's next reload adds the month just ended)."""
    today = today or datetime.now(ZoneInfo(settings.timezone)).date()
    return dg.StaticPartitionsDefinition(month_ends(settings.backfill_start, today))


def month_end_job(partitions: dg.PartitionsDefinition):
    """The refresh for one month end: its partition key is the run's as_of_date. A
    backfill over a range of partitions runs one refresh per date (one at a time: they
    share the warehouse tag) and each publishes into the archive of past dates."""
    return dg.define_asset_job(
        MONTH_END_JOB,
        selection=dg.AssetSelection.all(),
        description="Refresh as of a month end (the partition key); past dates publish into <publish dir>/as_of/.",
        tags=WAREHOUSE_TAG,
        # The assets are not partitioned: the job's partitions come from its config.
        config=dg.PartitionedConfig(
            partitions_def=partitions,
            run_config_for_partition_key_fn=lambda key: as_of_run_config(key, f"{MONTH_END_JOB} partition"),
            tags_for_partition_key_fn=lambda key: {"as_of_date": key},
        ),
    )
