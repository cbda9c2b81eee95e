"""Settings from the environment, each with a documented default (see .env.example).

Read when a run or a command needs them, never at import, so tests can point a
whole pipeline at a temporary directory through the environment alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


class SettingsError(ValueError):
    """A setting in the environment has a value the pipeline cannot use."""


def _path(env: Mapping[str, str], name: str, default: str) -> Path:
    raw = env.get(name) or default
    path = Path(raw).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def _date(env: Mapping[str, str], name: str) -> date | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a date (expected YYYY-MM-DD)") from exc


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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        warehouse = _path(env, "CCP_WAREHOUSE", "data/warehouse.duckdb")
        return cls(
            landing_dir=_path(env, "CCP_LANDING_DIR", "data/landing"),
            warehouse=warehouse,
            publish_dir=_path(env, "CCP_PUBLISH_DIR", "data/published"),
            as_of_date=_date(env, "CCP_AS_OF_DATE"),
            timezone=env.get("CCP_TIMEZONE") or "Asia/Shanghai",
            schedule_cron=env.get("CCP_SCHEDULE_CRON") or "0 6 * * *",
            duckdb_memory_limit=env.get("CCP_DUCKDB_MEMORY_LIMIT") or "1GB",
            duckdb_threads=_int(env, "CCP_DUCKDB_THREADS", os.cpu_count() or 1),
            duckdb_temp_dir=_path(
                env, "CCP_DUCKDB_TEMP_DIR", str(warehouse.parent / "duckdb_tmp")
            ),
            # One model at a time: each query then has the whole memory limit to itself
            # (two big models side by side ran out of it at 100M lines), and DuckDB
            # already uses every core within a query.
            dbt_threads=_int(env, "CCP_DBT_THREADS", 1),
            dbt_vars=_mapping(env, "CCP_DBT_VARS"),
            max_quarantine_share=_share(env, "CCP_MAX_QUARANTINE_SHARE", 0.05),
            max_orphan_share=_share(env, "CCP_MAX_ORPHAN_SHARE", 0.02),
            expectations_dir=_path(env, "CCP_EXPECTATIONS_DIR", str(EXPECTATIONS_DIR)),
        )

    def duckdb_config(self, purpose: str = "pipeline") -> dict[str, str | int]:
        """DuckDB limits for a connection of our own outside the warehouse (e.g. the
        publish copy); each purpose spills to its own folder, since DuckDB instances
        must not share temporary files."""
        temp_dir = self.duckdb_temp_dir / purpose
        temp_dir.mkdir(parents=True, exist_ok=True)
        return {
            "memory_limit": self.duckdb_memory_limit,
            "threads": self.duckdb_threads,
            "temp_directory": str(temp_dir),
        }

    def dbt_env(self) -> dict[str, str]:
        """What the dbt subprocess needs to find the warehouse (profiles.yml reads these)."""
        return {
            "CCP_WAREHOUSE": str(self.warehouse),
            "CCP_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "CCP_DUCKDB_THREADS": str(self.duckdb_threads),
            "CCP_DUCKDB_TEMP_DIR": str(self.duckdb_temp_dir),
            "CCP_DBT_THREADS": str(self.dbt_threads),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
