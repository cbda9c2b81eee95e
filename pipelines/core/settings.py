"""Settings from the environment, each with a documented default (see .env.example).

Read once, by an entry point (the Dagster definitions, `make run`, the publish
command), never at import and never by a step: steps receive them as resources
(pipelines/core/resources.py), so a run's config can override any of them for
every step alike.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pipelines.core.paths import EXPECTATIONS_DIR


class SettingsError(ValueError):
    """A setting has a value the pipeline cannot use; the message names where it came from."""


def parse_as_of_date(value: str | date | None, source: str) -> date | None:
    """The one check of a run's reference date, whichever way it arrives (environment,
    command line, launchpad, schedule, sensor). Empty means: the date of the latest
    completed order. `source` names where the value came from, for the error."""
    if value is None or isinstance(value, date):
        return value
    raw = value.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise SettingsError(f"{source}={value!r} is not a date (expected YYYY-MM-DD)") from exc


def _path(env: Mapping[str, str], name: str, default: str) -> Path:
    raw = env.get(name) or default
    path = Path(raw).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from exc
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    port = _int(env, name, default)
    if port > 65535:
        raise SettingsError(f"{name}={env.get(name)!r} is not a TCP port (1-65535)")
    return port


def _share(env: Mapping[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a number") from exc
    if not 0 <= value <= 1:
        raise SettingsError(f"{name}={raw!r} must be a share between 0 and 1")
    return value


def _date(env: Mapping[str, str], name: str, default: date) -> date:
    return parse_as_of_date(env.get(name), name) or default


def _hours(env: Mapping[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a number of hours") from exc
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be more than 0 hours")
    return value


def _url(env: Mapping[str, str], name: str, default: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme.split("+", 1)[0] not in schemes:
        # The value may hold a password: name the variable, not the value.
        raise SettingsError(f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return raw


def _postgres_url(env: Mapping[str, str], name: str) -> str:
    raw = _url(env, name, "", schemes=("postgresql", "postgres"))
    if raw and not raw.lower().startswith("postgresql+psycopg2://"):
        # SQLAlchemy 2.1 opens a plain postgresql:// URL with psycopg 3, with which
        # dagster-postgres fails on its first event (NOTIFY with a bound parameter).
        raise SettingsError(
            f"{name} must name the psycopg2 driver: postgresql+psycopg2://USER:PASSWORD@HOST:5432/DATABASE"
        )
    return raw


SALES_SOURCE_URL = "CCP_SALES_SOURCE_URL"


def _source_url(env: Mapping[str, str], name: str) -> str:
    raw = (env.get(name) or "").strip()
    if raw and not raw.startswith(("postgresql://", "postgres://")):
        # Never echo the value: it may hold a password.
        raise SettingsError(f"{name} must be a PostgreSQL URL such as postgresql://user:password@host:5432/db")
    return raw


ENGINES = ("duckdb", "postgres", "spark")
ENGINE = "CCP_ENGINE"
POSTGRES_URL = "CCP_POSTGRES_URL"


def _engine(env: Mapping[str, str]) -> str:
    raw = (env.get(ENGINE) or "").strip().lower() or "duckdb"
    if raw not in ENGINES:
        raise SettingsError(f"{ENGINE}={raw!r} is not an engine: one of {', '.join(ENGINES)}")
    return raw


def _mapping(env: Mapping[str, str], name: str) -> dict[str, Any]:
    raw = (env.get(name) or "").strip()
    if not raw:
        return {}
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise SettingsError(f"{name} is not YAML/JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise SettingsError(f"{name} must be a mapping such as {{min_churn_days: 120}}")
    return value


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    publish_dir: Path
    as_of_date: date | None
    timezone: str
    schedule_cron: str
    duckdb_memory_limit: str
    duckdb_threads: int
    duckdb_temp_dir: Path
    dbt_threads: int
    dbt_vars: Mapping[str, Any]
    max_quarantine_share: float
    max_orphan_share: float
    expectations_dir: Path
    demo_order_lines: int
    log_level: str
    dashboard_port: int
    backfill_start: date
    max_landing_age_hours: float
    # Both may carry a secret (a token in the webhook path, a password in the URL).
    alert_webhook_url: str = field(repr=False)
    dagster_ui_url: str
    dagster_postgres_url: str = field(repr=False)
    run_retention_days: int
    # Empty: sales arrive as landed files. Kept out of repr: it may carry a password.
    sales_source_url: str = field(default="", repr=False)
    sales_source_schema: str = "public"
    sales_source_page_rows: int = 100_000
    # Where dbt builds and the gates validate (docs/scale-out.md): the embedded DuckDB
    # warehouse, a PostgreSQL database, or Spark. Ingest validation stays in DuckDB.
    engine: str = "duckdb"
    # The PostgreSQL engine's database; kept out of repr: it may carry a password.
    postgres_url: str = field(default="", repr=False)
    spark_master: str = "local[*]"

    def __post_init__(self) -> None:
        if self.engine == "postgres" and not self.postgres_url:
            raise SettingsError(f"{ENGINE}=postgres needs {POSTGRES_URL}, e.g. postgresql://user:password@host:5432/db")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        warehouse = _path(env, "CCP_WAREHOUSE", "data/warehouse.duckdb")
        return cls(
            landing_dir=_path(env, "CCP_LANDING_DIR", "data/landing"),
            warehouse=warehouse,
            publish_dir=_path(env, "CCP_PUBLISH_DIR", "data/published"),
            as_of_date=parse_as_of_date(env.get("CCP_AS_OF_DATE"), "CCP_AS_OF_DATE"),
            timezone=env.get("CCP_TIMEZONE") or "Asia/Shanghai",
            schedule_cron=env.get("CCP_SCHEDULE_CRON") or "0 6 * * *",
            duckdb_memory_limit=env.get("CCP_DUCKDB_MEMORY_LIMIT") or "1GB",
            duckdb_threads=_int(env, "CCP_DUCKDB_THREADS", os.cpu_count() or 1),
            duckdb_temp_dir=_path(env, "CCP_DUCKDB_TEMP_DIR", str(warehouse.parent / "duckdb_tmp")),
            # One model at a time: each query then has the whole memory limit to itself
            # (two big models side by side ran out of it at 100M lines), and DuckDB
            # already uses every core within a query.
            dbt_threads=_int(env, "CCP_DBT_THREADS", 1),
            dbt_vars=_mapping(env, "CCP_DBT_VARS"),
            max_quarantine_share=_share(env, "CCP_MAX_QUARANTINE_SHARE", 0.05),
            max_orphan_share=_share(env, "CCP_MAX_ORPHAN_SHARE", 0.02),
            expectations_dir=_path(env, "CCP_EXPECTATIONS_DIR", str(EXPECTATIONS_DIR)),
            demo_order_lines=_int(env, "CCP_DEMO_ORDER_LINES", 200_000),
            log_level=(env.get("CCP_LOG_LEVEL") or "WARNING").upper(),
            dashboard_port=_port(env, "CCP_DASHBOARD_PORT", 8501),
            backfill_start=_date(env, "CCP_BACKFILL_START", date(2024, 1, 31)),
            max_landing_age_hours=_hours(env, "CCP_MAX_LANDING_AGE_HOURS", 36.0),
            alert_webhook_url=_url(env, "CCP_ALERT_WEBHOOK_URL", ""),
            dagster_ui_url=_url(env, "CCP_DAGSTER_UI_URL", "http://127.0.0.1:3000").rstrip("/"),
            dagster_postgres_url=_postgres_url(env, "CCP_DAGSTER_POSTGRES_URL"),
            run_retention_days=_int(env, "CCP_RUN_RETENTION_DAYS", 90),
            sales_source_url=_source_url(env, SALES_SOURCE_URL),
            sales_source_schema=(env.get("CCP_SALES_SOURCE_SCHEMA") or "").strip() or "public",
            sales_source_page_rows=_int(env, "CCP_SALES_SOURCE_PAGE_ROWS", 100_000),
            engine=_engine(env),
            postgres_url=_source_url(env, POSTGRES_URL),
            spark_master=(env.get("CCP_SPARK_MASTER") or "").strip() or "local[*]",
        )
