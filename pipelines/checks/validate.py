"""Run suites against the warehouse with Great Expectations, inside DuckDB, and turn
the results into what a person paged at night needs: which suite, which expectation,
which column, how many rows, and a sample of the failing values."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from pipelines.checks.suites import Suite
from pipelines.core.engines import POSTGRES, SPARK, EngineResource
from pipelines.core.errors import first_line

SAMPLE_SIZE = 5
# Validation results listed on the Data Docs index, newest first: about the last 20 runs.
INDEX_RESULTS = 600


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
        # Its rows are read by _with_failing_rows: the SUMMARY format does not keep them.
        unexpected_count = observed if isinstance(observed, int) else unexpected_count
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


def _with_failing_rows(outcome: ExpectationOutcome, result, source, table: str) -> ExpectationOutcome:
    """A failed custom-query expectation with a few of the rows its query found. GX keeps
    them only in its COMPLETE result format, which would also hold every failing value of
    every other expectation; the query runs again, limited, only when it found rows."""
    if outcome.success or outcome.error or outcome.expectation != "unexpected_rows_expectation":
        return outcome
    try:
        query = result.expectation_config.kwargs["unexpected_rows_query"].format(batch=table)
        rows = source.rows(f"SELECT * FROM ({query}) AS failing_rows LIMIT {SAMPLE_SIZE}")
    except Exception as exc:  # the count and the failure stand; only the rows are missing
        rows = [f"rows not shown: {first_line(exc)}"]
    return replace(outcome, sample=rows)


def _scrubbed(outcome: ExpectationOutcome, engine: EngineResource | None) -> ExpectationOutcome:
    """An error message never carries the engine's password, whatever a driver put in it."""
    if engine is None or engine.kind != POSTGRES:
        return outcome
    secret = engine.postgres.password
    if not secret:
        return outcome
    # The sample holds the message of a failed read of the failing rows, if any.
    sample = [v.replace(secret, "***") if isinstance(v, str) else v for v in outcome.sample]
    error = outcome.error.replace(secret, "***") if outcome.error else outcome.error
    return replace(outcome, error=error, sample=sample)


def _plain(value):
    """Sample values as JSON-friendly text for Dagster metadata and the manifest."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


class _SqlSource:
    """Tables of a SQL engine (DuckDB, PostgreSQL) behind a GX SQL datasource: a table is
    validated as a query on it, a summary query runs once on GX's own connection."""

    def __init__(self, datasource):
        self.datasource = datasource

    def table_batch(self, name: str, table: str):
        # A table is validated as a query on it: GX's table assets drop the schema in
        # some of their queries.
        asset = self.datasource.add_query_asset(name=name, query=f"SELECT * FROM {table}")
        return asset.add_batch_definition_whole_table("whole"), None

    def rows(self, query: str) -> list[dict]:
        """The rows of a small summary query."""
        import sqlalchemy

        engine = self.datasource.get_execution_engine()
        with engine.get_connection() as connection:
            result = connection.execute(sqlalchemy.text(query))
            return [{k: _plain(v) for k, v in row._mapping.items()} for row in result.fetchall()]

    def columns(self, query: str) -> list[str]:
        import sqlalchemy

        engine = self.datasource.get_execution_engine()
        with engine.get_connection() as connection:
            return list(connection.execute(sqlalchemy.text(f"SELECT * FROM ({query}) AS summary LIMIT 0")).keys())


class _SparkSource:
    """Tables of the Spark engine as DataFrames of its session, validated by GX's Spark
    datasource: every metric is a Spark job, nothing is collected but the results."""

    def __init__(self, datasource, spark):
        self.datasource, self.spark = datasource, spark

    def table_batch(self, name: str, table: str):
        asset = self.datasource.add_dataframe_asset(name=name)
        return asset.add_batch_definition_whole_dataframe("whole"), {"dataframe": self.spark.table(table)}

    def rows(self, query: str) -> list[dict]:
        return [{k: _plain(v) for k, v in row.asDict().items()} for row in self.spark.sql(query).collect()]

    def columns(self, query: str) -> list[str]:
        return list(self.spark.sql(query).columns)


def _frame(rows: list[dict], source, query: str):
    """The summary rows as a frame; with no rows, still with the query's columns."""
    import pandas as pd

    if rows:
        return pd.DataFrame(rows)
    return pd.DataFrame(columns=source.columns(query))


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
            # The index reads each result it lists: the newest results only, so its
            # cost stays flat however many runs are kept.
            "site_index_builder": {
                "class_name": "DefaultSiteIndexBuilder",
                "validation_results_limit": INDEX_RESULTS,
            },
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
def _datasource(context, warehouse: Path, memory_limit: str, threads: int, engine: EngineResource | None) -> Iterator:
    """The engine's tables as a GX datasource that validates inside the engine."""
    if engine is not None and engine.kind == POSTGRES:
        target = engine.postgres
        credentials = quote(target.user, safe="")
        if target.password:
            credentials += ":" + quote(target.password, safe="")
        datasource = context.data_sources.add_postgres(
            name="warehouse",
            connection_string=(
                f"postgresql+psycopg2://{credentials}@{target.host}:{target.port}/{quote(target.database, safe='')}"
            ),
            # A query asset is read where it is: no temporary copy of a whole table.
            create_temp_table=False,
        )
        try:
            yield _SqlSource(datasource)
        finally:
            # GX keeps one engine to reflect tables and one to run metrics: close both.
            execution_engine = getattr(datasource, "_execution_engine", None)
            if execution_engine is not None:
                execution_engine.engine.dispose()
            reflecting = getattr(datasource, "_engine", None)
            if reflecting is not None:
                reflecting.dispose()
        return
    if engine is not None and engine.kind == SPARK:
        from pipelines.core.spark import spark_session

        spark = spark_session(engine)
        # Not persisted: a DataFrame is read by each metric rather than cached whole.
        yield _SparkSource(context.data_sources.add_spark(name="warehouse", persist=False), spark)
        return
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
        yield _SqlSource(datasource)
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
    engine: EngineResource | None = None,
    results_kept_days: int | None = None,
    listed_suites: Sequence[Suite] = (),
) -> list[SuiteOutcome]:
    """Validate each suite in the warehouse (opened read-only, released at the end), or,
    given another engine than DuckDB, in that engine.

    With `docs_dir`, the Data Docs pages of these results and suites are rendered and
    the index updated; the pages of earlier results stay as they were rendered, and
    `listed_suites` (the other gates' suites) keep their pages on the index. Results
    older than `results_kept_days` are removed from `results_dir`, and their pages with
    them."""
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
            engine=None if engine is None or engine.is_duckdb else engine,
            results_kept_days=results_kept_days,
            listed_suites=listed_suites,
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
    engine: EngineResource | None,
    results_kept_days: int | None,
    listed_suites: Sequence[Suite],
) -> list[SuiteOutcome]:
    import great_expectations as gx

    context = _context(docs_dir, results_dir)
    started = datetime.now(UTC)
    outcomes: list[SuiteOutcome] = []
    frames = None
    with _datasource(context, warehouse, memory_limit, threads, engine) as source:
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
                batch, batch_parameters = source.table_batch(suite.name, suite.table)
                if wants_report:
                    summary = source.rows(f"SELECT * FROM {suite.table}")
            else:
                # A suite's query is a small summary computed in the database. GX would
                # run it again for every metric it needs; run it once and validate its
                # few rows.
                summary = source.rows(suite.query)
                frames = frames or context.data_sources.add_pandas(name="summaries")
                asset = frames.add_dataframe_asset(name=suite.name)
                batch = asset.add_batch_definition_whole_dataframe("whole")
                batch_parameters = {"dataframe": _frame(summary, source, suite.query)}
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
            )
            result = definition.run(
                batch_parameters=batch_parameters,
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE},
                run_id=gx.RunIdentifier(run_name=run_name) if run_name else None,
            )
            expectations = [
                _with_failing_rows(_outcome(r), r, source, suite.table) if suite.table else _outcome(r)
                for r in result.results
            ]
            outcome = SuiteOutcome(suite, bool(result.success), [_scrubbed(o, engine) for o in expectations])
            if wants_report:
                outcome.report = summary
            outcomes.append(outcome)
    if docs_dir is not None:
        kept = (results_dir, results_kept_days) if results_dir is not None and results_kept_days is not None else None
        _build_docs(context, suites, listed_suites, started, kept)
        for outcome in outcomes:
            outcome.docs_page = str(docs_dir / "index.html")
    return outcomes


def _build_docs(
    context,
    validated: Sequence[Suite],
    listed: Sequence[Suite],
    started: datetime,
    kept: tuple[Path, int] | None,
) -> None:
    """Renders the pages of the results stored since `started` and of these suites, and
    the index.

    Rebuilding the whole site instead would render every kept result again at every
    gate of every run: a cost that grows with each run (with 30 runs of results, 9.4 s
    for the raw gate's 6 suites instead of 1.6 s). The index drops the pages of
    results that are no longer kept, and of suites the context does not hold, so every
    gate's suites are added to it."""
    import great_expectations as gx
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    if kept is not None:
        results_dir, days = kept
        _prune_results(results_dir, started - timedelta(days=days))
    names = {suite.name for suite in validated}
    for suite in listed:
        if suite.name not in names:
            names.add(suite.name)
            context.suites.add(gx.ExpectationSuite(**suite.definition))
    rendered = [key for key in context.validation_results_store.list_keys() if _aware(key.run_id.run_time) >= started]
    rendered += [ExpectationSuiteIdentifier(name=suite.name) for suite in validated]
    context.build_data_docs(site_names=["quality"], resource_identifiers=rendered)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# A stored result is <suite>/.../<run name>/<run time>/<batch>.json.
_RUN_TIME = "%Y%m%dT%H%M%S.%fZ"


def _prune_results(results_dir: Path, cutoff: datetime) -> None:
    """Removes the stored results of runs before `cutoff`, and the folders they leave
    empty. The run time is read from the folder name: GX would parse every key's date."""
    for result in results_dir.rglob("*.json"):
        try:
            run_time = datetime.strptime(result.parent.name, _RUN_TIME).replace(tzinfo=UTC)
        except ValueError:
            continue
        if run_time < cutoff:
            result.unlink()
    for folder in sorted((p for p in results_dir.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
