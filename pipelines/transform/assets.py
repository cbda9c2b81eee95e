"""Every dbt model as a Dagster asset, built by one `dbt build` so that a failing dbt
test stops the models and Python assets downstream of it."""


import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
import yaml
from pydantic import Field
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.settings import Settings


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


class DbtRunConfig(dg.Config):
    """Per-run overrides of the dbt vars (defaults in dbt_project.yml)."""

    as_of_date: str = Field(
        default="",
        description="Reference date YYYY-MM-DD; empty: CCP_AS_OF_DATE, else the latest order date.",
    )
    vars: dict[str, str] = Field(
        default_factory=dict,
        description="dbt vars to override for this run, e.g. {min_churn_days: '120'}.",
    )


def dbt_vars(settings: Settings, config: DbtRunConfig) -> dict[str, Any]:
    """The vars for this run: environment first, then run config on top."""
    merged: dict[str, Any] = dict(settings.dbt_vars)
    if settings.as_of_date:
        merged["as_of_date"] = settings.as_of_date.isoformat()
    # Run config values are text; read them as YAML so 120 is a number and false a bool.
    merged.update({k: yaml.safe_load(v) for k, v in config.vars.items()})
    if config.as_of_date:
        merged["as_of_date"] = config.as_of_date
    return merged


@contextmanager
def _environment(extra: Mapping[str, str]) -> Iterator[None]:
    """dbt reads its connection from the environment of the subprocess, which is
    copied when the command starts: set the warehouse settings just for that moment."""
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=WarehouseTranslator(),
        name="dbt_models",
    )
    def dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtRunConfig
    ) -> Iterator[Any]:
        settings = Settings.from_env()
        run_vars = dbt_vars(settings, config)
        context.log.info(f"dbt vars: {json.dumps(run_vars, sort_keys=True)}")
        with _environment(settings.dbt_env()):
            invocation = dbt.cli(
                ["build", "--no-version-check", "--exclude-resource-type", "unit_test", "--vars", json.dumps(run_vars)], context=context
            )
        yield from invocation.stream()

    return dbt_models
