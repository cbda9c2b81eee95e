"""The publish asset (`published/marts`): the last step of a refresh, after every gate."""

from pathlib import Path

import dagster as dg
import duckdb

from pipelines.core.engines import EngineResource
from pipelines.core.outcomes import gate_results_of_run
from pipelines.core.resources import PublishResource, QualityResource, RunParameters
from pipelines.core.shipping import ShippingError, fetch_tables
from pipelines.core.warehouse import WarehouseResource
from pipelines.publish.release import ARCHIVE, DATABASE, MANIFEST, PARQUET, PUBLISHED_TABLES, publish

# On another engine than DuckDB, the audited marts are read from it into this file
# beside the warehouse, and published from there as from the warehouse.
ENGINE_MARTS = "engine_marts.duckdb"


def _marts_source(warehouse: WarehouseResource, engine: EngineResource) -> Path:
    """The DuckDB file holding the marts to publish: the warehouse, or the engine's
    marts read back into a file of their own."""
    if engine.is_duckdb:
        return warehouse.file
    path = warehouse.file.parent / ENGINE_MARTS
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path), config=warehouse.duckdb_config("publish"))
    try:
        fetch_tables(
            engine, [("marts", table) for table in PUBLISHED_TABLES], con, scratch=warehouse.spill_dir("publish-fetch")
        )
    except ShippingError as exc:
        raise dg.Failure(f"Not publishing: {exc}") from exc
    finally:
        con.close()
    return path


@dg.asset(
    key=["published", "marts"],
    group_name="publish",
    deps=[dg.AssetKey(["marts", table]) for table in PUBLISHED_TABLES],
    kinds={"duckdb", "parquet"},
    description=(
        "The audited marts for BI tools: CCP_PUBLISH_DIR/marts.duckdb (readable by DuckDB 1.4+), "
        "parquet/<table>.parquet and manifest.json, switched in atomically after every gate passed. "
        "A run as of a date before the live release's publishes into as_of/<date>/ instead. "
        "Publishes only in a run whose marts gate ran and passed (materialize it with the marts)."
    ),
)
def published_marts(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    engine: EngineResource,
    publish_target: PublishResource,
    quality: QualityResource,
    run_parameters: RunParameters,
) -> dg.MaterializeResult:
    gates = gate_results_of_run(context.instance, context.run.run_id)
    failed = [g.suite for g in gates if not g.passed]
    if failed:
        # Blocking checks stop this step already; this guards a partial re-run.
        raise dg.Failure(f"Not publishing: gates failed in this run: {', '.join(failed)}")
    if not any(g.gate == "marts" for g in gates):
        raise dg.Failure(
            "Not publishing: the marts gate did not run in this run. Publish only with the "
            "marts and their checks (the refresh job), so nothing unaudited reaches BI tools."
        )
    source = _marts_source(warehouse, engine)
    with duckdb.connect(str(source), read_only=True, config=warehouse.duckdb_config("publish")) as con:
        as_of = con.execute("SELECT max(as_of_date) FROM marts.pareto_summary").fetchone()[0]
    as_of_date = as_of.isoformat() if as_of else run_parameters.as_of_date or None
    release = publish(
        source,
        publish_target.folder,
        run_id=context.run.run_id,
        as_of_date=as_of_date,
        gates=[g.as_record() for g in gates],
        duckdb_config=warehouse.duckdb_config("publish"),
        reporting_currency=str(run_parameters.var("reporting_currency")),
        engine=engine.kind,
    )
    tables = release.manifest["tables"]
    # A past date lands in the archive; the live set BI tools read is unchanged.
    folder = publish_target.folder / ARCHIVE / as_of_date if release.archived else publish_target.folder
    if release.archived:
        context.log.info(f"as_of_date {as_of_date} is before the live release's: archived in {folder}")
    return dg.MaterializeResult(
        metadata={
            "release": release.release_id,
            "engine": engine.display,
            "as_of_date": as_of_date or "",
            "archived": release.archived,
            "path": dg.MetadataValue.path(str(folder / DATABASE)),
            "parquet": dg.MetadataValue.path(str(folder / PARQUET)),
            "manifest_path": dg.MetadataValue.path(str(folder / MANIFEST)),
            "manifest": dg.MetadataValue.json(
                {k: {"rows": v["rows"], "checksum": v["checksum"]} for k, v in tables.items()}
            ),
            "gates_passed": sum(g.passed for g in gates),
            "data_docs": dg.MetadataValue.path(f"{quality.data_docs_dir}/index.html"),
            **{f"rows/{name}": info["rows"] for name, info in tables.items()},
        }
    )
