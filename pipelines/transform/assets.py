"""Every dbt model as a Dagster asset, built in two `dbt build` steps: staging, then
intermediate and marts. The staging gate (blocking asset checks) runs between them, so
a failing gate or dbt test stops everything downstream of it."""


import json
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
import yaml
from pydantic import Field
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.settings import Settings
from pipelines.transform.project import dbt_environment


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset keys mirror warehouse locations: sources are the raw tables the ingest
    assets write (`raw/orders`), models are `<schema>/<model>` (`marts/customer_value`)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # models/<stage>/<model>.sql: the folder is the stage.
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "transform"


class RunParameters(dg.ConfigurableResource):
    """The business settings of one run, shared by every step: the reference date and
    any dbt var overrides (defaults in dbt_project.yml). Set from the environment
    (CCP_AS_OF_DATE, CCP_DBT_VARS) and overridable per run in the launchpad:
    `resources: {run_parameters: {config: {as_of_date: "2025-06-30"}}}`."""

    as_of_date: str = Field(
        default="",
        description="Reference date YYYY-MM-DD; empty: the date of the latest completed order.",
    )
    vars: dict[str, str] = Field(
        default_factory=dict,
        description="dbt vars to override for this run, e.g. {min_churn_days: '120'}.",
    )
    full_refresh: bool = Field(
        default=False,
        description=(
            "Rebuild the incremental staging models from every raw row instead of only "
            "the rows loaded since their last run."
        ),
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> "RunParameters":
        return cls(
            as_of_date=settings.as_of_date.isoformat() if settings.as_of_date else "",
            # JSON is YAML: each value reads back as what it was.
            vars={k: json.dumps(v) for k, v in settings.dbt_vars.items()},
        )

    def dbt_vars(self) -> dict[str, Any]:
        # Values are text in run config; read them as YAML so 120 is a number, false a bool.
        merged: dict[str, Any] = {k: yaml.safe_load(v) for k, v in self.vars.items()}
        if self.as_of_date:
            merged["as_of_date"] = self.as_of_date
        return merged


STAGES = {
    # name: dbt selection
    "dbt_staging": "staging",
    "dbt_marts": "intermediate marts quadrant_strategies",
}


def build_dbt_assets(project: DbtProject) -> list[dg.AssetsDefinition]:
    return [_build_stage(project, name, select) for name, select in STAGES.items()]


def _build_stage(project: DbtProject, name: str, select: str) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=WarehouseTranslator(),
        name=name,
        select=select,
    )
    def dbt_stage(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, run_parameters: RunParameters
    ) -> Iterator[Any]:
        settings = Settings.from_env()
        run_vars = run_parameters.dbt_vars()
        context.log.info(f"dbt vars: {json.dumps(run_vars, sort_keys=True)}")
        with dbt_environment(settings):
            args = ["build", "--no-version-check", "--exclude-resource-type", "unit_test",
                    "--vars", json.dumps(run_vars)]
            if run_parameters.full_refresh:
                args.append("--full-refresh")
            invocation = dbt.cli(args, context=context)
        yield from invocation.stream()

    return dbt_stage
