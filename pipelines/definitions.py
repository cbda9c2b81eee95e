"""The Dagster entry point (workspace.yaml loads it). Nothing runs at import: the
definitions, and the dbt manifest they need, are built when Dagster asks for them."""

import dagster as dg

from pipelines.checks.gates import build_gates
from pipelines.ingest.assets import build_ingest_assets
from pipelines.publish.assets import published_marts
from pipelines.orchestration import daily_schedule, landing_sensor, refresh_job
from pipelines.settings import Settings
from pipelines.transform.assets import RunParameters, build_dbt_assets
from pipelines.transform.project import ProjectDbtCli, dbt_executable, dbt_project
from pipelines.warehouse import WarehouseResource


@dg.definitions
def defs() -> dg.Definitions:
    settings = Settings.from_env()
    project = dbt_project()
    return dg.Definitions(
        assets=[*build_ingest_assets(), *build_dbt_assets(project), published_marts],
        asset_checks=build_gates(settings),
        jobs=[refresh_job()],
        schedules=[daily_schedule(settings)],
        sensors=[landing_sensor],
        resources={
            "warehouse": WarehouseResource(
                path=str(settings.warehouse),
                memory_limit=settings.duckdb_memory_limit,
                threads=settings.duckdb_threads,
                temp_dir=str(settings.duckdb_temp_dir),
            ),
            "dbt": ProjectDbtCli(project_dir=project, dbt_executable=dbt_executable()),
            "run_parameters": RunParameters.from_settings(settings),
        },
        # DuckDB allows one writing process: steps of a run share this one.
        executor=dg.in_process_executor,
    )
