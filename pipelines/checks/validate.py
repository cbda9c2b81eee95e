"""Run suites against the warehouse with Great Expectations, inside DuckDB, and turn
the results into what a person paged at night needs: which suite, which expectation,
which column, how many rows, and a sample of the failing values."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.checks.suites import Suite

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str
    success: bool
    unexpected_count: int | None
    unexpected_percent: float | None
    observed: str
    sample: list
    error: str | None = None

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        if self.error:
            return f"{self.expectation}{where} could not be evaluated: {self.error}"
        counts = ""
        if self.unexpected_count is not None:
            counts = f": {self.unexpected_count:,} unexpected"
            if self.unexpected_percent is not None:
                counts += f" ({self.unexpected_percent:.4g}%)"
        elif self.observed:
            counts = f": observed {self.observed}"
        sample = f", e.g. {self.sample}" if self.sample else ""
        return f"{self.expectation}{where}{counts}{sample}"


@dataclass
class SuiteOutcome:
    suite: Suite
    success: bool
    expectations: list[ExpectationOutcome] = field(default_factory=list)
    docs_page: str | None = None
    # Rows of a suite whose meta asks for a report (a small summary query).
    report: list[dict] = field(default_factory=list)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success]

    def describe(self) -> str:
        if self.success:
            return f"suite {self.suite.name}: all {len(self.expectations)} expectations passed"
        return f"suite {self.suite.name} failed: " + "; ".join(f.describe() for f in self.failures)


def _column_of(config) -> str:
    kwargs = config.kwargs
    if "column" in kwargs:
        return kwargs["column"]
    if "column_A" in kwargs:
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    if "column_list" in kwargs:
        return ", ".join(kwargs["column_list"])
    return (config.meta or {}).get("column", "")


def _error_of(result) -> str | None:
    info = result.exception_info or {}
    infos = [info] if "raised_exception" in info else list(info.values())
    messages = [i.get("exception_message") for i in infos if isinstance(i, dict) and i.get("raised_exception")]
    return "; ".join(m for m in messages if m) or None


def _outcome(result) -> ExpectationOutcome:
    config = result.expectation_config
    details = result.result or {}
    unexpected_count = details.get("unexpected_count")
    sample = details.get("partial_unexpected_list") or []
    observed = details.get("observed_value")
    if config.type == "unexpected_rows_expectation":
        # Its observed value is the number of rows the query returned.
        unexpected_count = observed if isinstance(observed, int) else unexpected_count
        rows = (details.get("details") or {}).get("unexpected_rows") or []
        sample = [dict(r) if not isinstance(r, dict) else r for r in rows[:SAMPLE_SIZE]]
        observed = None
    return ExpectationOutcome(
        expectation=config.type,
        column=_column_of(config),
        success=bool(result.success),
        unexpected_count=unexpected_count,
        unexpected_percent=details.get("unexpected_percent"),
        observed="" if observed is None else str(observed),
        sample=[_plain(v) for v in sample[:SAMPLE_SIZE]],
        error=_error_of(result),
    )


def _plain(value):
    """Sample values as JSON-friendly text for Dagster metadata and the manifest."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _report(datasource, query: str) -> list[dict]:
    """The rows of a small summary query, read on GX's own connection."""
    import sqlalchemy

    engine = datasource.get_execution_engine()
    with engine.get_connection() as connection:
        result = connection.execute(sqlalchemy.text(query))
        return [{k: _plain(v) for k, v in row._mapping.items()} for row in result.fetchall()]


def _frame(rows: list[dict], datasource, query: str):
    """The summary rows as a frame; with no rows, still with the query's columns."""
    import pandas as pd
    import sqlalchemy

    if rows:
        return pd.DataFrame(rows)
    engine = datasource.get_execution_engine()
    with engine.get_connection() as connection:
        columns = list(connection.execute(sqlalchemy.text(f"SELECT * FROM ({query}) LIMIT 0")).keys())
    return pd.DataFrame(columns=columns)


def _import_gx():
    # GX reads this before anything else: no usage statistics leave the machine.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations  # noqa: F401


def _context(docs_dir: Path | None, results_dir: Path | None):
    _import_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        sites["quality"] = {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        data_docs_sites=sites,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    if results_dir is not None:
        # Results accumulate on disk so the Data Docs index lists every run's gates.
        config.stores["validation_results_store"] = {
            "class_name": "ValidationResultsStore",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(results_dir),
            },
        }
    return gx.get_context(project_config=config, mode="ephemeral")


@contextmanager
def _datasource(context, warehouse: Path, memory_limit: str, threads: int) -> Iterator:
    # Importing registers the `duckdb_sql` datasource type with GX.
    from pipelines.checks import gx_duckdb  # noqa: F401

    datasource = context.data_sources.add_duckdb_sql(
        name="warehouse",
        connection_string=f"duckdb:///{warehouse}",
        kwargs={
            "connect_args": {
                "read_only": True,
                "config": {"memory_limit": memory_limit, "threads": threads},
            }
        },
    )
    try:
        yield datasource
    finally:
        datasource.release()


def validate_suites(
    warehouse: Path,
    suites: Sequence[Suite],
    *,
    docs_dir: Path | None = None,
    results_dir: Path | None = None,
    memory_limit: str = "1GB",
    threads: int = 2,
    run_name: str | None = None,
) -> list[SuiteOutcome]:
    """Validate each suite in the warehouse (opened read-only, released at the end)."""
    # GX prints a hint whenever it builds a cross-table query that does not read
    # {batch}; those queries read other tables on purpose.
    with contextlib.redirect_stdout(io.StringIO()):
        return _validate(
            warehouse,
            suites,
            docs_dir=docs_dir,
            results_dir=results_dir,
            memory_limit=memory_limit,
            threads=threads,
            run_name=run_name,
        )


def _validate(
    warehouse: Path,
    suites: Sequence[Suite],
    *,
    docs_dir: Path | None,
    results_dir: Path | None,
    memory_limit: str,
    threads: int,
    run_name: str | None,
) -> list[SuiteOutcome]:
    import great_expectations as gx

    context = _context(docs_dir, results_dir)
    outcomes: list[SuiteOutcome] = []
    frames = None
    with _datasource(context, warehouse, memory_limit, threads) as datasource:
        for suite in suites:
            expected = len(suite.definition["expectations"])
            gx_suite = gx.ExpectationSuite(**suite.definition)
            if len(gx_suite.expectations) != expected:
                # GX drops an expectation it cannot parse with only a log line.
                raise ValueError(f"{suite.path}: GX accepted {len(gx_suite.expectations)} of {expected} expectations")
            gx_suite = context.suites.add(gx_suite)
            batch_parameters, summary = None, []
            wants_report = bool((suite.definition.get("meta") or {}).get("report"))
            if suite.table:
                # A table is validated as a query on it: GX's table assets drop the
                # schema in some of their queries.
                asset = datasource.add_query_asset(name=suite.name, query=f"SELECT * FROM {suite.table}")
                batch = asset.add_batch_definition_whole_table("whole")
                if wants_report:
                    summary = _report(datasource, f"SELECT * FROM {suite.table}")
            else:
                # A suite's query is a small summary computed in the database. GX would
                # run it again for every metric it needs; run it once and validate its
                # few rows.
                summary = _report(datasource, suite.query)
                frames = frames or context.data_sources.add_pandas(name="summaries")
                asset = frames.add_dataframe_asset(name=suite.name)
                batch = asset.add_batch_definition_whole_dataframe("whole")
                batch_parameters = {"dataframe": _frame(summary, datasource, suite.query)}
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
            )
            result = definition.run(
                batch_parameters=batch_parameters,
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE},
                run_id=gx.RunIdentifier(run_name=run_name) if run_name else None,
            )
            outcome = SuiteOutcome(suite, bool(result.success), [_outcome(r) for r in result.results])
            if wants_report:
                outcome.report = summary
            outcomes.append(outcome)
    if docs_dir is not None:
        context.build_data_docs(site_names=["quality"])
        for outcome in outcomes:
            outcome.docs_page = str(docs_dir / "index.html")
    return outcomes
