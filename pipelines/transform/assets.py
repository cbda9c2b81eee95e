"""Every dbt model as a Dagster asset, built in two `dbt build` steps: first what the
staging gate validates (staging models and the orphan report) and the inputs of the
customer-base models, then the other intermediate models, the seeds and the marts. The
staging gate and the customer-base models (a Python step) with their gate run between
the two, because customer_value reads the predictions. Gates are blocking asset checks,
so a failing gate or dbt test stops everything downstream of it.

A model's dbt data tests are reported as one asset check on it, `dbt_tests`, whose
result names each test that failed or warned: one check per model rather than one per
test keeps the run's event log (and every run's fixed cost) small, and a failing test
still shows as a failed check on its asset."""

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets
from dagster_dbt.asset_utils import default_asset_check_fn, get_asset_check_key_for_test

from pipelines.core.catalog import column_schemas
from pipelines.core.engines import EngineResource
from pipelines.core.outcomes import DBT_TESTS_CHECK
from pipelines.core.resources import RunParameters
from pipelines.core.spark import shipped_tables_var
from pipelines.core.warehouse import WarehouseResource
from pipelines.transform.project import ProjectDbtCli, hand_back_parse, prune_invocation_folders


# Generic tests that check several columns or expressions of a model in one scan
# (macros/test_*.sql). Each part is reported as the one-part test it stands for:
# test name -> (the parts as (what the test's query returns for it, the name it is
# reported under), what a failing row is).
def _not_null_parts(model: str, kwargs: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(column, f"not_null_{model}_{column}") for column in kwargs["columns"]]


def _range_parts(model: str, kwargs: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(r["column"], f"within_range_{model}_{r['column']}") for r in kwargs["ranges"]]


def _expression_parts(model: str, kwargs: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(number), f"expression_is_true_{model}: {' '.join(expression.split())}")
        for number, expression in enumerate(kwargs["expressions"], start=1)
    ]


GROUPED_TESTS: dict[str, tuple[Callable[[str, Mapping[str, Any]], list[tuple[str, str]]], str]] = {
    "not_null_columns": (_not_null_parts, "with a null"),
    "within_ranges": (_range_parts, "out of range"),
    "expressions_are_true": (_expression_parts, "failing the expression"),
}


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset keys mirror warehouse locations, `<schema>/<table>`: sources are the tables
    other steps write (`raw/orders` by ingest, `marts/customer_predictions` by the
    customer-base models), models are where dbt builds them (`marts/customer_value`)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # models/<layer>/<model>.sql: the folder is the layer.
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "transform"

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        # Every test of a model maps to the same spec; dagster-dbt keeps one per name.
        per_test = default_asset_check_fn(manifest, self, asset_spec.key, unique_id, project)
        if per_test is None:
            return None
        return dg.AssetCheckSpec(
            name=DBT_TESTS_CHECK,
            asset=asset_spec.key,
            description="The model's dbt data tests: fails when any test of severity error fails.",
            blocking=True,
        )


@dataclass
class _TestOutcomes:
    """The dbt test results of one model in one dbt step."""

    passed: list[str] = field(default_factory=list)
    warned: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    def add(self, name: str, status: str, failures: int | None, message: str | None) -> None:
        if status == "pass":
            self.passed.append(name)
            return
        entry = {"test": name, "status": status, "failing_rows": failures, "message": (message or "")[:500]}
        (self.warned if status == "warn" else self.failed).append(entry)

    def result(self, asset_key: dg.AssetKey) -> dg.AssetCheckResult:
        total = len(self.passed) + len(self.warned) + len(self.failed)
        problems = self.failed + self.warned
        described = "; ".join(
            f"{p['test']} {p['status']}" + (f" ({p['failing_rows']} rows)" if p["failing_rows"] else "")
            for p in problems
        )
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=DBT_TESTS_CHECK,
            passed=not self.failed,
            severity=dg.AssetCheckSeverity.ERROR if self.failed else dg.AssetCheckSeverity.WARN,
            description=described or f"all {total} dbt tests passed",
            metadata={
                "tests": total,
                "passed": len(self.passed),
                "warned": len(self.warned),
                "failed": len(self.failed),
                "problems": dg.MetadataValue.json(problems),
            },
        )


FailingRows = Callable[[str], dict[str, int] | None]


def _test_outcomes(
    events: Iterable[Any],
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
    project: DbtProject,
    checked: set[dg.AssetCheckKey],
    failing_rows: FailingRows = lambda unique_id: None,
) -> tuple[list[Any], dict[dg.AssetKey, _TestOutcomes]]:
    """Splits a dbt step's raw events into the model events and each checked model's
    test outcomes. A test counts on the model it is attached to, or, when that model was
    built in an earlier step (a relationship to a later model), on a parent built here.

    A grouped test (`not_null_columns`: all of a model's not-null columns in one scan;
    `within_ranges`, `expressions_are_true`) reports each column or expression as the
    test it stands for, e.g. `not_null_<model>_<column>`; when it fails,
    `failing_rows(test id)` gives the columns (or expression numbers) that failed and
    how many rows."""
    others: list[Any] = []
    outcomes: dict[dg.AssetKey, _TestOutcomes] = {}
    for event in events:
        unique_id = event.raw_event["data"].get("node_info", {}).get("unique_id") or ""
        if not (unique_id.startswith("test.") and event.is_result_event):
            others.append(event)
            continue
        node = manifest["nodes"][unique_id]
        attached = get_asset_check_key_for_test(manifest, translator, unique_id, project)
        candidates = [attached.asset_key] if attached is not None else []
        for parent in node["depends_on"]["nodes"]:
            parent_props = manifest["nodes"].get(parent) or manifest["sources"].get(parent)
            if parent_props is not None:
                candidates.append(translator.get_asset_key(parent_props))
        owner = next((k for k in candidates if dg.AssetCheckKey(k, DBT_TESTS_CHECK) in checked), None)
        if owner is None:
            others.append(event)  # reported the way dagster-dbt reports unselected tests
            continue
        data = event.raw_event["data"]
        status = data["node_info"].get("node_status") or str(data.get("status", "")).lower()
        outcome = outcomes.setdefault(owner, _TestOutcomes())
        message = event.raw_event["info"].get("msg")
        metadata = node.get("test_metadata") or {}
        if metadata.get("name") not in GROUPED_TESTS:
            outcome.add(node["name"], status, data.get("num_failures"), message)
            continue
        parts_of, failing = GROUPED_TESTS[metadata["name"]]
        parts = parts_of(manifest["nodes"][node["attached_node"]]["name"], metadata["kwargs"])
        counts = {} if status == "pass" else failing_rows(unique_id)
        if counts is None or (status != "pass" and not counts.keys() & {key for key, _ in parts}):
            # The parts could not be read: the test is reported as dbt reported it.
            outcome.add(node["name"], status, data.get("num_failures"), message)
            continue
        for key, name in parts:
            if key in counts:
                outcome.add(name, status, counts[key], f"{counts[key]} rows {failing}: {name}")
            else:
                outcome.add(name, "pass", None, None)
    return others, outcomes


def _failing_rows_reader(warehouse: WarehouseResource, target_path: Path, manifest: Mapping[str, Any]) -> FailingRows:
    """Runs a failed grouped test's compiled query again (after dbt exited) for the
    parts it failed on: its rows are (column name or expression number, failing rows).
    dbt leaves each test's compiled query in the command's target folder, at
    compiled/<package>/<file that declares the test>/<test file name>."""

    def read(unique_id: str) -> dict[str, int] | None:
        try:
            node = manifest["nodes"][unique_id]
            compiled = target_path.joinpath(
                "compiled", node["package_name"], node["original_file_path"], node["path"]
            ).read_text(encoding="utf-8")
            with warehouse.connect(read_only=True, purpose="catalog") as con:
                return {str(column): int(rows) for column, rows in con.execute(compiled).fetchall()}
        except (OSError, KeyError, ValueError, duckdb.Error):
            return None

    return read


# The dbt build steps of a run: step name -> (dbt selection, exclusion). Two, not one
# per layer: each dbt process costs about 5 s to start, parse and report. The first
# builds the inputs of the customer-base models too, so that the models and their gate
# can run between the two.
_FIRST_STEP = "staging +orphan_report +int_customer_clv_inputs"
DBT_STEPS: dict[str, tuple[str, str | None]] = {
    "dbt_staging": (_FIRST_STEP, None),
    "dbt_marts": ("intermediate marts resource_type:seed", _FIRST_STEP),
}


def build_dbt_assets(project: DbtProject) -> list[dg.AssetsDefinition]:
    return [_build_step(project, name, select, exclude) for name, (select, exclude) in DBT_STEPS.items()]


def _build_step(project: DbtProject, name: str, select: str, exclude: str | None) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=WarehouseTranslator(),
        name=name,
        select=select,
        exclude=exclude,
    )
    def dbt_step(
        context: dg.AssetExecutionContext,
        dbt: ProjectDbtCli,
        warehouse: WarehouseResource,
        engine: EngineResource,
        run_parameters: RunParameters,
    ) -> Iterator[Any]:
        business_vars = run_parameters.dbt_vars()
        context.log.info(f"dbt vars: {json.dumps(business_vars, sort_keys=True)} on {engine.display}")
        # The connection reaches dbt's profile as vars of this invocation, its
        # password (if any) the dbt process's environment.
        run_vars = {**warehouse.dbt_profile_vars(), **engine.dbt_profile_vars(), **business_vars}
        # On Spark: the Parquet folders ingest and the customer-base models shipped,
        # which dbt registers as tables before it builds (macros/engines.sql).
        run_vars.update(shipped_tables_var(engine))
        args = [
            "build",
            "--no-version-check",
            # No manifest.json or run_results.json per command (about 0.8 s each): the
            # events carry the results, and the parse the next command starts from is
            # written all the same (partial_parse.msgpack).
            "--no-write-json",
            "--exclude-resource-type",
            "unit_test",
            "--vars",
            json.dumps(run_vars, sort_keys=True),
        ]
        if run_parameters.full_refresh:
            args.append("--full-refresh")
        if not context.is_subset:
            # A test runs in the step that builds the last of its models: a test of a
            # mart against an intermediate model waits for the marts step.
            args += ["--indirect-selection", "buildable"]
        # The warehouse is dbt's until it exits: the column types are read after it,
        # so the events wait too; a failure is raised once they are all reported.
        invocation = dbt.cli(args, context=context, env=engine.dbt_env())
        raw_events: list[Any] = []
        failure: Exception | None = None
        try:
            for raw_event in invocation.stream_raw_events():
                raw_events.append(raw_event)
        except Exception as exc:
            failure = exc
        translator = invocation.dagster_dbt_translator
        checked = set(context.selected_asset_check_keys)
        # A failed grouped test is run again to name its columns: only where the
        # warehouse connection is the engine's.
        failing_rows = (
            _failing_rows_reader(warehouse, Path(invocation.target_path), invocation.manifest)
            if engine.is_duckdb
            else None
        )
        others, outcomes = _test_outcomes(
            raw_events, invocation.manifest, translator, project, checked, failing_rows or (lambda unique_id: None)
        )
        schemas = _column_schemas(warehouse) if engine.is_duckdb else {}
        for raw_event in others:
            for event in raw_event.to_default_asset_events(
                manifest=invocation.manifest,
                dagster_dbt_translator=translator,
                context=context,
                target_path=invocation.target_path,
                project=project,
            ):
                if isinstance(event, dg.Output):
                    schema = schemas.get(tuple(context.asset_key_for_output(event.output_name).path))
                    if schema is not None:
                        event = event.with_metadata({**event.metadata, "dagster/column_schema": schema})
                yield event
        for asset_key, outcome in sorted(outcomes.items(), key=lambda item: item[0].to_user_string()):
            yield outcome.result(asset_key)
        hand_back_parse(Path(invocation.target_path), project.project_dir / project.target_path)
        prune_invocation_folders(invocation.target_path)
        if failure is not None:
            raise failure

    return dbt_step


def _column_schemas(warehouse: WarehouseResource) -> dict[tuple[str, str], dg.TableSchema]:
    try:
        with warehouse.connect(read_only=True, purpose="catalog") as con:
            return column_schemas(con)
    except duckdb.Error:
        return {}
