"""The Great Expectations suites in expectations/<gate>/<name>.json, one per validated
table (or query), reviewed like code. A gate is the set of suites of one stage of the
flow (raw, staging, marts); each suite becomes one blocking asset check. A suite's
`meta` says what it validates:

    {"asset": "staging/stg_sales__orders", "table": "staging.stg_sales__orders"}
    {"asset": "staging/stg_sales__orders", "query": "SELECT ..."}

and `"report": true` keeps the validated rows (a small table) with the outcome.
Thresholds that are settings appear in a suite as {max_quarantine_share} or
{max_orphan_share} and are filled in when the suite is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The gates, in the order a run passes them.
GATES = ("raw", "staging", "predictions", "marts")


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Suite:
    name: str
    gate: str
    asset: tuple[str, ...]
    table: str | None
    query: str | None
    definition: dict
    path: Path

    @property
    def check_name(self) -> str:
        return f"gx_{self.name.replace('.', '__')}"


def _parameters(thresholds: Mapping[str, float]) -> dict[str, str]:
    return {"{" + name + "}": repr(float(value)) for name, value in thresholds.items()}


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


def load_suite(path: Path, gate: str, thresholds: Mapping[str, float]) -> Suite:
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SuiteError(f"{path}: not a readable JSON suite: {exc}") from exc
    meta = definition.get("meta") or {}
    if "asset" not in meta or ("table" in meta) == ("query" in meta):
        raise SuiteError(f"{path}: meta needs an 'asset' and exactly one of 'table' or 'query'")
    if not definition.get("expectations"):
        raise SuiteError(f"{path}: no expectations")
    definition = _fill(definition, _parameters(thresholds))
    return Suite(
        name=definition["name"],
        gate=gate,
        asset=tuple(meta["asset"].split("/")),
        table=meta.get("table"),
        query=meta.get("query"),
        definition=definition,
        path=path,
    )


def load_suites(expectations_dir: Path, gate: str, thresholds: Mapping[str, float]) -> list[Suite]:
    return [load_suite(p, gate, thresholds) for p in sorted((expectations_dir / gate).glob("*.json"))]
