"""What a run's gates decided, read back from the run's own record (the asset check
evaluations Dagster stored), for publish's manifest and for `make run`'s summary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import dagster as dg

# The one asset check per dbt model that carries the results of its dbt data tests.
DBT_TESTS_CHECK = "dbt_tests"


@dataclass(frozen=True)
class GateResult:
    gate: str
    suite: str
    check: str
    asset: str
    passed: bool
    evaluated: int
    failed: int
    description: str
    # The validated rows of a report suite (e.g. the orphan counts).
    report: list[dict] = field(default_factory=list)

    def as_record(self) -> dict[str, Any]:
        record = asdict(self)
        if not self.report:
            record.pop("report")
        return record


def _value(metadata: dict, name: str, default: Any = None) -> Any:
    entry = metadata.get(name)
    return default if entry is None else getattr(entry, "value", entry)


def gate_results(evaluations: Iterable[dg.AssetCheckEvaluation]) -> list[GateResult]:
    """The gates' evaluations among a run's check evaluations (dbt tests are checks
    too; a gate's evaluation carries `gate` in its metadata)."""
    results = []
    for evaluation in evaluations:
        metadata = dict(evaluation.metadata or {})
        if "gate" not in metadata:
            continue
        results.append(
            GateResult(
                gate=str(_value(metadata, "gate")),
                suite=str(_value(metadata, "suite", evaluation.check_name)),
                check=evaluation.check_name,
                asset=evaluation.asset_key.to_user_string(),
                passed=bool(evaluation.passed),
                evaluated=int(_value(metadata, "expectations_evaluated", 0)),
                failed=int(_value(metadata, "expectations_failed", 0)),
                description=evaluation.description or "",
                report=list(_value(metadata, "report", []) or []),
            )
        )
    return results


def gate_results_of_run(instance: dg.DagsterInstance, run_id: str) -> list[GateResult]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    return gate_results(
        r.event_log_entry.dagster_event.event_specific_data
        for r in records
        if r.event_log_entry.dagster_event is not None
    )
