"""Every dbt model as a Dagster asset, built in three `dbt build` steps: what the staging
gate validates (staging models and the orphan report), the intermediate models (and
the seeds), then the marts. The staging gate runs after the first; the customer-base
models (a Python step) and their gate run between the second and the third, because
customer_value reads their predictions. Gates are blocking asset checks, so a failing
gate or dbt test stops everything downstream of it."""

import json
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets

from pipelines.core.catalog import column_schemas
from pipelines.core.resources import RunParameters
from pipelines.core.warehouse import WarehouseResource
from pipelines.transform.project import ProjectDbtCli


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset keys mirror warehouse locations, `<schema>/<table>`: sources are the tables
    other steps write (`raw/orders` by ingest, `marts/customer_predictions` by the
    customer-base models), models are where dbt builds them (`marts/customer_value`)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # models/<layer>/<model>.sql: the folder is the layer.
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "transform"


# The dbt build steps of a run: step name -> (dbt selection, exclusion).
DBT_STEPS: dict[str, tuple[str, str | None]] = {
    "dbt_staging": ("staging +orphan_report", None),
    "dbt_intermediate": ("intermediate resource_type:seed", "+orphan_report"),
    "dbt_marts": ("marts", None),
}


def build_dbt_assets(project: DbtProject) -> list[dg.AssetsDefinition]:
    return [_build_step(project, name, select, exclude) for name, (select, exclude) in DBT_STEPS.items()]


def _build_step(project: DbtProject, name: str, select: str, exclude: str | None) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=WarehouseTranslator(),
        name=name,
        select=select,
        exclude=exclude,
    )
    def dbt_step(
        context: dg.AssetExecutionContext,
        dbt: ProjectDbtCli,
        warehouse: WarehouseResource,
        run_parameters: RunParameters,
    ) -> Iterator[Any]:
        business_vars = run_parameters.dbt_vars()
        context.log.info(f"dbt vars: {json.dumps(business_vars, sort_keys=True)}")
        # The warehouse connection reaches dbt's profile as vars of this invocation.
        run_vars = {**warehouse.dbt_profile_vars(), **business_vars}
        args = [
            "build",
            "--no-version-check",
            "--exclude-resource-type",
            "unit_test",
            "--vars",
            json.dumps(run_vars, sort_keys=True),
        ]
        if run_parameters.full_refresh:
            args.append("--full-refresh")
        if not context.is_subset:
            # A test runs in the step that builds the last of its models: a test of a
            # mart against an intermediate model waits for the marts step.
            args += ["--indirect-selection", "buildable"]
        # The warehouse is dbt's until it exits: the column types are read after it,
        # so the events wait too; a failure is raised once they are all reported.
        events: list[Any] = []
        failure: Exception | None = None
        try:
            for event in dbt.cli(args, context=context).stream():
                events.append(event)
        except Exception as exc:
            failure = exc
        schemas = _column_schemas(warehouse)
        for event in events:
            if isinstance(event, dg.Output):
                schema = schemas.get(tuple(context.asset_key_for_output(event.output_name).path))
                if schema is not None:
                    event = event.with_metadata({**event.metadata, "dagster/column_schema": schema})
            yield event
        if failure is not None:
            raise failure

    return dbt_step


def _column_schemas(warehouse: WarehouseResource) -> dict[tuple[str, str], dg.TableSchema]:
    try:
        with warehouse.connect(read_only=True, purpose="catalog") as con:
            return column_schemas(con)
    except duckdb.Error:
        return {}
