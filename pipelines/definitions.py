"""The Dagster entry point (workspace.yaml loads it). Nothing runs at import: the
definitions, and the dbt manifest they need, are built when Dagster asks for them.

Settings are read here, once, and reach every step as resources."""

import dagster as dg

from pipelines.alerts import failure_alert_sensor
from pipelines.checks.gates import build_gates
from pipelines.core.resources import pipeline_resources
from pipelines.core.settings import Settings
from pipelines.ingest.assets import build_ingest_assets
from pipelines.ingest.freshness import build_freshness_checks
from pipelines.instance import prune_sensor
from pipelines.orchestration import daily_schedule, landing_sensor, month_end_job, month_end_partitions, refresh_job
from pipelines.predict.assets import customer_base_models
from pipelines.publish.assets import published_marts
from pipelines.transform.assets import build_dbt_assets
from pipelines.transform.docs import dbt_docs
from pipelines.transform.project import dbt_project, dbt_resource


def build_definitions(settings: Settings) -> dg.Definitions:
    resources = pipeline_resources(settings)
    project = dbt_project({**resources["warehouse"].dbt_profile_vars(), **resources["engine"].dbt_profile_vars()})
    return dg.Definitions(
        assets=[*build_ingest_assets(), *build_dbt_assets(project), customer_base_models, published_marts, dbt_docs],
        asset_checks=[
            *build_gates(
                settings.expectations_dir,
                {"max_quarantine_share": settings.max_quarantine_share, "max_orphan_share": settings.max_orphan_share},
            ),
            build_freshness_checks(),
        ],
        jobs=[refresh_job(), month_end_job(month_end_partitions(settings))],
        schedules=[daily_schedule(settings)],
        sensors=[landing_sensor, failure_alert_sensor(settings), prune_sensor(settings)],
        resources={**resources, "dbt": dbt_resource(project)},
        # DuckDB allows one writing process: steps of a run share this one.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(Settings.from_env())
