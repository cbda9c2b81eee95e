"""The Great Expectations suites in expectations/<stage>/<name>.json, one per validated
table (or query), reviewed like code. Each suite's `meta` says what it validates:

    {"asset": "staging/stg_sales__orders", "table": "staging.stg_sales__orders"}
    {"asset": "staging/stg_sales__orders", "query": "SELECT ..."}

Thresholds that are settings appear in a suite as {max_quarantine_share} or
{max_orphan_share} and are filled in from the environment when the suite is loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import Settings

STAGES = ("raw", "staging", "marts")


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Suite:
    name: str
    stage: str
    asset: tuple[str, ...]
    table: str | None
    query: str | None
    definition: dict
    path: Path

    @property
    def check_name(self) -> str:
        return f"gx_{self.name.replace('.', '__')}"


def _parameters(settings: Settings) -> dict[str, str]:
    return {
        "{max_quarantine_share}": repr(settings.max_quarantine_share),
        "{max_orphan_share}": repr(settings.max_orphan_share),
    }


def _fill(value, parameters: dict[str, str]):
    """Put the settings into a suite; a value that is only a parameter becomes a number."""
    if isinstance(value, str):
        if value in parameters:
            return float(parameters[value])
        for name, setting in parameters.items():
            value = value.replace(name, setting)
        return value
    if isinstance(value, list):
        return [_fill(v, parameters) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, parameters) for k, v in value.items()}
    return value


def load_suite(path: Path, stage: str, settings: Settings) -> Suite:
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{path}: not a readable JSON suite: {exc}") from exc
    meta = definition.get("meta") or {}
    if "asset" not in meta or ("table" in meta) == ("query" in meta):
        raise SuiteError(f"{path}: meta needs an 'asset' and exactly one of 'table' or 'query'")
    if not definition.get("expectations"):
        raise SuiteError(f"{path}: no expectations")
    definition = _fill(definition, _parameters(settings))
    return Suite(
        name=definition["name"],
        stage=stage,
        asset=tuple(meta["asset"].split("/")),
        table=meta.get("table"),
        query=meta.get("query"),
        definition=definition,
        path=path,
    )


def load_suites(stage: str, settings: Settings) -> list[Suite]:
    root = settings.expectations_dir
    return [load_suite(p, stage, settings) for p in sorted((root / stage).glob("*.json"))]
