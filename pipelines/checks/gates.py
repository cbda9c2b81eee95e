"""The quality gates: every suite in expectations/<gate>/ as a blocking Dagster asset
check on the asset it validates. One check step per gate validates all of its suites
with one GX context; when a suite fails, nothing downstream of its asset runs and the
published marts stay as they were.

Each check's result carries what later readers need in its metadata (`gate`,
`suite`, counts, and the validated rows of a report suite): publish puts it in the
release manifest, `make run` in its summary, both read from the run itself."""

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import dagster as dg

from pipelines.checks.suites import GATES, Suite, load_suites
from pipelines.checks.validate import SuiteOutcome, validate_suites
from pipelines.core.engines import EngineResource
from pipelines.core.resources import QualityResource
from pipelines.core.warehouse import WarehouseResource


def _metadata(outcome: SuiteOutcome) -> dict:
    rows = ["| expectation | column | passed | unexpected | % | sample |", "|---|---|---|---|---|---|"]
    for e in outcome.expectations:
        percent = "" if e.unexpected_percent is None else f"{e.unexpected_percent:.4g}"
        count = "" if e.unexpected_count is None else f"{e.unexpected_count:,}"
        sample = json.dumps(e.sample, ensure_ascii=False, default=str)[:200] if e.sample else (e.error or e.observed)
        rows.append(
            f"| {e.expectation} | {e.column} | {'yes' if e.success else 'NO'} | {count} | {percent} "
            f"| {str(sample).replace('|', '/')[:200]} |"
        )
    metadata = {
        "gate": outcome.suite.gate,
        "suite": outcome.suite.name,
        "suite_file": str(outcome.suite.path),
        "expectations_evaluated": len(outcome.expectations),
        "expectations_failed": len(outcome.failures),
        "unexpected_rows": sum(e.unexpected_count or 0 for e in outcome.failures),
        "results": dg.MetadataValue.md("\n".join(rows)),
    }
    if outcome.report:
        metadata["report"] = dg.MetadataValue.json(outcome.report)
    if outcome.docs_page:
        metadata["data_docs"] = dg.MetadataValue.url(Path(outcome.docs_page).as_uri())
    return metadata


def build_gate(gate: str, suites: list[Suite]) -> dg.AssetChecksDefinition:
    specs = [
        dg.AssetCheckSpec(
            name=suite.check_name,
            asset=dg.AssetKey(list(suite.asset)),
            blocking=True,
            description=suite.definition.get("notes") or f"Great Expectations suite {suite.name}",
        )
        for suite in suites
    ]

    @dg.multi_asset_check(
        specs=specs,
        name=f"{gate}_gate",
        description=f"The {gate} quality gate: Great Expectations suites in expectations/{gate}/.",
        can_subset=True,
    )
    def gate_check(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        engine: EngineResource,
        quality: QualityResource,
    ) -> Iterator[dg.AssetCheckResult]:
        selected = {key.name for key in context.selected_asset_check_keys}
        # Read when the gate runs, so an edited suite counts; every gate's suites stay on
        # the Data Docs index.
        every_gate = [s for g in GATES for s in load_suites(Path(quality.expectations_dir), g, quality.thresholds())]
        outcomes = validate_suites(
            warehouse.file,
            [s for s in every_gate if s.gate == gate and s.check_name in selected],
            docs_dir=Path(quality.data_docs_dir),
            results_dir=warehouse.file.parent / "gx" / "validations",
            memory_limit=warehouse.memory_limit,
            threads=warehouse.threads,
            run_name=context.run.run_id,
            results_kept_days=quality.results_kept_days,
            listed_suites=every_gate,
            # The raw gate checks what ingest validated, in DuckDB beside its ledger;
            # the later gates run where dbt built.
            engine=None if gate == "raw" else engine,
        )
        for outcome in outcomes:
            if not outcome.success:
                context.log.error(outcome.describe())
            yield dg.AssetCheckResult(
                asset_key=dg.AssetKey(list(outcome.suite.asset)),
                check_name=outcome.suite.check_name,
                passed=outcome.success,
                severity=dg.AssetCheckSeverity.ERROR,
                description=outcome.describe(),
                metadata=_metadata(outcome),
            )

    return gate_check


def build_gates(expectations_dir: Path, thresholds: Mapping[str, float]) -> list[dg.AssetChecksDefinition]:
    """One gate per stage of the flow; suites are read here for their names and assets."""
    return [build_gate(gate, suites) for gate in GATES if (suites := load_suites(expectations_dir, gate, thresholds))]
