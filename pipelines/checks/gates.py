"""The quality gates: every suite in expectations/<stage>/ as a blocking Dagster asset
check on the asset it validates. One check step per stage validates all of its suites
with one GX context; when a suite fails, nothing downstream of its asset runs and the
published marts stay as they were."""


import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines.checks.suites import STAGES, Suite, load_suites
from pipelines.checks.validate import SuiteOutcome, validate_suites
from pipelines.settings import Settings

GATE_RESULTS = "gates"


def gate_results_dir(settings: Settings, run_id: str) -> Path:
    """Where a run's gate outcomes are kept for its publish manifest."""
    return settings.warehouse.parent / GATE_RESULTS / run_id


def quality_site(settings: Settings) -> Path:
    return settings.publish_dir / "quality"


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
        "suite": outcome.suite.name,
        "suite_file": str(outcome.suite.path),
        "expectations_evaluated": len(outcome.expectations),
        "expectations_failed": len(outcome.failures),
        "unexpected_rows": sum(e.unexpected_count or 0 for e in outcome.failures),
        "results": dg.MetadataValue.md("\n".join(rows)),
    }
    if outcome.report:
        columns = list(outcome.report[0])
        table = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        table += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in outcome.report]
        metadata["report"] = dg.MetadataValue.md("\n".join(table))
    if outcome.docs_page:
        metadata["data_docs"] = dg.MetadataValue.url(Path(outcome.docs_page).as_uri())
    return metadata


def _save(outcomes: list[SuiteOutcome], folder: Path, stage: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stage}.json").write_text(
        json.dumps([o.as_record() for o in outcomes], indent=2, ensure_ascii=False), encoding="utf-8"
    )


def build_stage_gate(stage: str, suites: list[Suite]) -> dg.AssetChecksDefinition:
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
        name=f"{stage}_gate",
        description=f"The {stage} quality gate: Great Expectations suites in expectations/{stage}/.",
        can_subset=True,
    )
    def gate(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        settings = Settings.from_env()
        selected = {key.name for key in context.selected_asset_check_keys}
        chosen = [s for s in load_suites(stage, settings) if s.check_name in selected]
        outcomes = validate_suites(
            settings.warehouse,
            chosen,
            docs_dir=quality_site(settings),
            results_dir=settings.warehouse.parent / "gx" / "validations",
            memory_limit=settings.duckdb_memory_limit,
            threads=settings.duckdb_threads,
            run_name=context.run.run_id,
        )
        _save(outcomes, gate_results_dir(settings, context.run.run_id), stage)
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

    return gate


def build_gates(settings: Settings) -> list[dg.AssetChecksDefinition]:
    """One gate per stage; suites are read here only for their names and assets."""
    return [build_stage_gate(stage, suites) for stage in STAGES if (suites := load_suites(stage, settings))]
