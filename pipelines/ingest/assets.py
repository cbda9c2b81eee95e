"""One Dagster asset per raw table (`raw/<table>`): landed files, or for the sales
tables a PostgreSQL database when CCP_SALES_SOURCE_URL is set -> warehouse."""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.core.engines import EngineResource
from pipelines.core.resources import LandingResource, SalesSourceResource
from pipelines.core.shipping import ShippingError, ship_tables
from pipelines.core.warehouse import WarehouseResource
from pipelines.ingest.contract import TABLES, Table
from pipelines.ingest.loader import QUARANTINE, TableReport, ingest_table
from pipelines.ingest.postgres import PostgresSource, SourceRejected, pull_table

QUARANTINE_SAMPLE_ROWS = 10


def _quarantine_sample(con, table: Table, files: Sequence[str]) -> str:
    if not files:
        return ""
    rows = con.execute(
        f"""SELECT file, row_number, column_name, reason FROM {QUARANTINE}
        WHERE table_name = ? AND list_contains(?, file)
        ORDER BY file, row_number LIMIT {QUARANTINE_SAMPLE_ROWS}""",
        [table.name, list(files)],
    ).fetchall()
    lines = ["| file | row | column | reason |", "|---|---|---|---|"]
    lines += [f"| {f} | {r} | {c} | {why.replace('|', '/')} |" for f, r, c, why in rows]
    return "\n".join(lines)


def _quarantined_by_column(con, table: Table, files: Sequence[str]) -> dict[str, int]:
    if not files:
        return {}
    rows = con.execute(
        f"""SELECT column_name, count(*) FROM {QUARANTINE}
        WHERE table_name = ? AND list_contains(?, file)
        GROUP BY column_name ORDER BY count(*) DESC, column_name""",
        [table.name, list(files)],
    ).fetchall()
    return dict(rows)


def _metadata(report: TableReport, sample: str, by_column: dict[str, int], source: str = "") -> dict:
    metadata = {
        "files_loaded": len(report.with_status("loaded")),
        "files_skipped": len(report.with_status("skipped")),
        "files_rejected": len(report.with_status("rejected")),
        "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
    }
    if source:
        metadata["source"] = source
    if sample:
        metadata["quarantine_sample"] = dg.MetadataValue.md(sample)
    if by_column:
        metadata["quarantined_by_column"] = dg.MetadataValue.json(by_column)
    return metadata


def _ship(context: dg.AssetExecutionContext, con, table: Table, metadata: dict) -> None:
    """The validated raw table to the engine dbt builds on, when that is not DuckDB."""
    engine: EngineResource = context.resources.engine
    if engine.is_duckdb:
        return
    warehouse: WarehouseResource = context.resources.warehouse
    try:
        shipped = ship_tables(con, engine, [("raw", table.name)], scratch=warehouse.spill_dir("ship"))
    except ShippingError as exc:
        raise dg.Failure(description=str(exc)) from exc
    metadata["engine"] = engine.display
    metadata["rows_shipped"] = shipped[f"raw.{table.name}"]


def _pull(
    context: dg.AssetExecutionContext, table: Table, sales_source: SalesSourceResource, timezone: str, today
) -> dict:
    """The sales table from PostgreSQL: every row changed since the last committed cursor."""
    source = PostgresSource(sales_source.url, sales_source.schema_name, sales_source.page_rows, timezone)
    where = source.where(table)
    with context.resources.warehouse.connect(purpose="ingest") as con:
        try:
            report = pull_table(con, table, source, today)
        except SourceRejected as exc:
            raise dg.Failure(description=str(exc)) from exc
        batches = [f.file for f in report.files if f.rows_quarantined]
        metadata = _metadata(
            report, _quarantine_sample(con, table, batches), _quarantined_by_column(con, table, batches), where
        )
        _ship(context, con, table, metadata)
    context.log.info(
        f"raw.{table.name}: {len(report.files)} batches pulled from {where} "
        f"({report.rows_read} rows read, {report.rows_loaded} loaded, {report.rows_quarantined} quarantined)"
    )
    for result in report.files:
        if result.rows_quarantined:
            context.log.warning(f"{result.file}: {result.rows_quarantined} of {result.rows_read} rows quarantined")
    return metadata


def build_ingest_asset(table: Table) -> dg.AssetsDefinition:
    from_database = table.source == "sales"
    origin = f"Landed {table.qualified} files"
    if from_database:
        origin += " (or, when CCP_SALES_SOURCE_URL is set, the PostgreSQL table pulled by its updated_at cursor)"

    @dg.asset(
        key=["raw", table.name],
        group_name="raw",
        kinds={"duckdb"},
        description=(
            f"{origin} loaded into raw.{table.name}, one batch per file or pulled page; rows that "
            f"break a row rule go to {QUARANTINE}. Key: {', '.join(table.key)}."
        ),
        tags={"source": table.source},
        required_resource_keys={"warehouse", "landing", "engine", *(["sales_source"] if from_database else [])},
    )
    def ingest(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        warehouse: WarehouseResource = context.resources.warehouse
        landing: LandingResource = context.resources.landing
        today = datetime.now(ZoneInfo(landing.timezone)).date()
        if from_database and context.resources.sales_source.enabled:
            return dg.MaterializeResult(
                metadata=_pull(context, table, context.resources.sales_source, landing.timezone, today)
            )
        with warehouse.connect(purpose="ingest") as con:
            report = ingest_table(con, table, landing.folder, today)
            loaded = [f.file for f in report.with_status("loaded") if f.rows_quarantined]
            metadata = _metadata(
                report, _quarantine_sample(con, table, loaded), _quarantined_by_column(con, table, loaded)
            )
            _ship(context, con, table, metadata)
        # One line per table, and one per file only where there is something to look
        # at: every log line is an event in the run's record, and tables land in
        # dozens of files. Each file's counts are in the ingest ledger.
        context.log.info(
            f"raw.{table.name}: {len(report.with_status('loaded'))} files loaded "
            f"({report.rows_read} rows read, {report.rows_loaded} loaded, "
            f"{report.rows_quarantined} quarantined), {len(report.with_status('skipped'))} skipped"
        )
        for result in report.files:
            if result.status == "loaded" and result.rows_quarantined:
                context.log.warning(f"{result.file}: {result.rows_quarantined} of {result.rows_read} rows quarantined")
            elif result.status == "skipped" and result.detail != "already loaded":
                context.log.info(f"{result.file}: skipped, {result.detail}")
        rejected = report.with_status("rejected")
        if rejected:
            # The good files are committed; the rejected ones stay out of the ledger
            # and are tried again once they are fixed.
            raise dg.Failure(
                description="Rejected landed files:\n" + "\n".join(f"- {r.detail}" for r in rejected),
                metadata=metadata,
            )
        return dg.MaterializeResult(metadata=metadata)

    return ingest


def build_ingest_assets() -> list[dg.AssetsDefinition]:
    return [build_ingest_asset(table) for table in TABLES]
