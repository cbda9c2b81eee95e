"""The resources that carry settings to steps. Built once from `Settings` where the
definitions are built; a run's config (launchpad, schedule, `make run`) may override
any field, and every step then sees the same value."""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import dagster as dg
import yaml
from pydantic import Field

from pipelines.core.engines import engine_resource
from pipelines.core.paths import DBT_PROJECT_DIR, data_docs_dir
from pipelines.core.settings import SALES_SOURCE_URL, Settings, SettingsError, parse_as_of_date
from pipelines.core.warehouse import WarehouseResource

RUN_CONFIG_SOURCE = "run config resources.run_parameters.config.as_of_date"


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

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Checked when the first step that needs it starts, so a bad date never reaches dbt.
        parse_as_of_date(self.as_of_date, _date_source(context))
        for name, value in self.vars.items():
            try:
                yaml.safe_load(value)
            except yaml.YAMLError as exc:
                raise SettingsError(f"run config dbt var {name}={value!r} is not YAML: {exc}") from exc

    def dbt_vars(self) -> dict[str, Any]:
        # Values are text in run config; read them as YAML so 120 is a number, false a bool.
        merged: dict[str, Any] = {k: yaml.safe_load(v) for k, v in self.vars.items()}
        if self.as_of_date:
            merged["as_of_date"] = self.as_of_date
        return merged

    def var(self, name: str) -> Any:
        """A business setting as dbt sees it in this run: the override, else the default
        in dbt_project.yml. For steps outside dbt that follow the same settings."""
        overrides = self.dbt_vars()
        if name in overrides:
            return overrides[name]
        defaults = dbt_var_defaults()
        if name not in defaults:
            raise SettingsError(f"{name} is not a var of dbt_project.yml")
        return defaults[name]


@functools.cache
def dbt_var_defaults() -> dict[str, Any]:
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")).get("vars") or {}


def _date_source(context: dg.InitResourceContext | None) -> str:
    """Where a run's as_of_date came from, named as the person who set it knows it."""
    tags = (context.run.tags if context is not None and context.run else None) or {}
    if "dagster/schedule_name" in tags:
        return f"schedule {tags['dagster/schedule_name']}: as_of_date"
    if "dagster/sensor_name" in tags:
        return f"sensor {tags['dagster/sensor_name']}: as_of_date"
    return RUN_CONFIG_SOURCE


class LandingResource(dg.ConfigurableResource):
    """Where landed files arrive, the timezone that decides what "today" is (a row
    dated after today is quarantined), and how old the newest batch may be."""

    path: str = Field(description="Landing folder <path>/<source>/<table>/ (CCP_LANDING_DIR).")
    timezone: str = Field(default="Asia/Shanghai", description="Timezone of the business (CCP_TIMEZONE).")
    max_age_hours: float = Field(
        default=36.0,
        description="A raw table whose newest batch is older than this warns (CCP_MAX_LANDING_AGE_HOURS).",
    )

    @property
    def folder(self) -> Path:
        return Path(self.path)


class SalesSourceResource(dg.ConfigurableResource):
    """Where the sales tables come from: landed files (no URL, the default) or a
    PostgreSQL database pulled incrementally by its `updated_at` column."""

    url: str = Field(
        default="",
        description="postgresql://user:password@host:port/db (CCP_SALES_SOURCE_URL); empty: landed files.",
    )
    schema_name: str = Field(default="public", description="Schema holding the sales tables (CCP_SALES_SOURCE_SCHEMA).")
    page_rows: int = Field(
        default=100_000,
        description="Rows per pulled batch, each committed with its cursor (CCP_SALES_SOURCE_PAGE_ROWS).",
    )

    @property
    def enabled(self) -> bool:
        return bool(self.url)


def sales_source_resource(settings: Settings) -> SalesSourceResource:
    # Taken from the environment, the URL is handed over by name (EnvVar): Dagster then
    # shows the variable, never the password, in the UI and the run's config.
    from_env = bool(settings.sales_source_url) and os.environ.get(SALES_SOURCE_URL) == settings.sales_source_url
    return SalesSourceResource(
        url=dg.EnvVar(SALES_SOURCE_URL) if from_env else settings.sales_source_url,
        schema_name=settings.sales_source_schema,
        page_rows=settings.sales_source_page_rows,
    )


def _import_great_expectations() -> None:
    # No usage statistics leave the machine: GX reads this when it is imported.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    importlib.import_module("great_expectations")


class QualityResource(dg.ConfigurableResource):
    """What the gates validate with: the suites and the thresholds that are settings."""

    expectations_dir: str = Field(description="Suites in <dir>/<gate>/<suite>.json (CCP_EXPECTATIONS_DIR).")
    max_quarantine_share: float = Field(default=0.05, description="CCP_MAX_QUARANTINE_SHARE")
    max_orphan_share: float = Field(default=0.02, description="CCP_MAX_ORPHAN_SHARE")
    data_docs_dir: str = Field(description="Where the Great Expectations Data Docs site is built.")
    results_kept_days: int = Field(
        default=90,
        description="Gate results (and their Data Docs pages) older than this are removed (CCP_RUN_RETENTION_DAYS).",
    )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # A run starts its resources before its first step: import Great Expectations
        # (about 5 s on 2 cores) on a side thread while ingest works, so the raw gate
        # does not wait for it. Python's import lock makes the gate's own import wait
        # for this one rather than repeat it.
        if "great_expectations" not in sys.modules:
            threading.Thread(target=_import_great_expectations, name="gx-import", daemon=True).start()

    def thresholds(self) -> dict[str, float]:
        return {
            "max_quarantine_share": self.max_quarantine_share,
            "max_orphan_share": self.max_orphan_share,
        }


class PublishResource(dg.ConfigurableResource):
    """Where BI tools read the published marts (CCP_PUBLISH_DIR)."""

    path: str = Field(description="The publish folder (CCP_PUBLISH_DIR).")

    @property
    def folder(self) -> Path:
        return Path(self.path)


def warehouse_resource(settings: Settings) -> WarehouseResource:
    return WarehouseResource(
        path=str(settings.warehouse),
        memory_limit=settings.duckdb_memory_limit,
        threads=settings.duckdb_threads,
        temp_dir=str(settings.duckdb_temp_dir),
        dbt_threads=settings.dbt_threads,
    )


def run_parameters_resource(settings: Settings) -> RunParameters:
    return RunParameters(
        as_of_date=settings.as_of_date.isoformat() if settings.as_of_date else "",
        # JSON is YAML: each value reads back as what it was.
        vars={k: json.dumps(v) for k, v in settings.dbt_vars.items()},
    )


def pipeline_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Every setting a step needs, as the resources the steps ask for by name."""
    return {
        "warehouse": warehouse_resource(settings),
        "run_parameters": run_parameters_resource(settings),
        "landing": LandingResource(
            path=str(settings.landing_dir),
            timezone=settings.timezone,
            max_age_hours=settings.max_landing_age_hours,
        ),
        "quality": QualityResource(
            expectations_dir=str(settings.expectations_dir),
            max_quarantine_share=settings.max_quarantine_share,
            max_orphan_share=settings.max_orphan_share,
            data_docs_dir=str(data_docs_dir(settings.publish_dir)),
            results_kept_days=settings.run_retention_days,
        ),
        "publish_target": PublishResource(path=str(settings.publish_dir)),
        "sales_source": sales_source_resource(settings),
        "engine": engine_resource(settings),
    }
