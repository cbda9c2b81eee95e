"""The publish asset (`published/marts`): the last step of a refresh, after every gate."""

import json

import dagster as dg

from pipelines.checks.gates import gate_results_dir, quality_site
from pipelines.publish.release import PUBLISHED_TABLES, publish
from pipelines.settings import Settings
from pipelines.transform.assets import RunParameters
from pipelines.warehouse import WarehouseResource


def _gate_records(settings: Settings, run_id: str) -> list[dict]:
    records: list[dict] = []
    folder = gate_results_dir(settings, run_id)
    for path in sorted(folder.glob("*.json")):
        records.extend(json.loads(path.read_text(encoding="utf-8")))
    return records


@dg.asset(
    key=["published", "marts"],
    group_name="publish",
    deps=[dg.AssetKey(["marts", table]) for table in PUBLISHED_TABLES],
    kinds={"duckdb", "parquet"},
    description=(
        "The audited marts for BI tools: CCP_PUBLISH_DIR/marts.duckdb (readable by DuckDB 1.4+), "
        "parquet/<table>.parquet and manifest.json, switched in atomically after every gate passed."
    ),
)
def published_marts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, run_parameters: RunParameters
) -> dg.MaterializeResult:
    settings = Settings.from_env()
    with warehouse.connect(read_only=True) as con:
        as_of = con.execute("SELECT max(as_of_date) FROM marts.pareto_summary").fetchone()[0]
    gates = _gate_records(settings, context.run.run_id)
    failed = [g["suite"] for g in gates if not g["success"]]
    if failed:
        # Blocking checks stop this step already; this guards a partial re-run.
        raise dg.Failure(f"Not publishing: gates failed in this run: {', '.join(failed)}")
    release = publish(
        settings.warehouse,
        settings.publish_dir,
        run_id=context.run.run_id,
        as_of_date=as_of.isoformat() if as_of else run_parameters.as_of_date or None,
        gates=gates,
        duckdb_config=settings.duckdb_config("publish"),
    )
    tables = release.manifest["tables"]
    return dg.MaterializeResult(
        metadata={
            "release": release.release_id,
            "path": dg.MetadataValue.path(str(settings.publish_dir / "marts.duckdb")),
            "manifest": dg.MetadataValue.json(
                {k: {"rows": v["rows"], "checksum": v["checksum"]} for k, v in tables.items()}
            ),
            "gates_passed": sum(g["success"] for g in gates),
            "data_docs": dg.MetadataValue.url((quality_site(settings) / "index.html").as_uri()),
            **{f"rows/{name}": info["rows"] for name, info in tables.items()},
        }
    )
