"""The dbt docs site of the published marts: `dbt docs generate --static` (every model
and column with its description, lineage, and the catalog of types and row counts read
from the warehouse), written beside the Data Docs after each release."""

import json
import os
import shutil
from pathlib import Path

import dagster as dg

from pipelines.core.engines import EngineResource
from pipelines.core.paths import dbt_docs_page
from pipelines.core.resources import PublishResource
from pipelines.core.spark import shipped_tables_var
from pipelines.core.warehouse import WarehouseResource
from pipelines.transform.project import ProjectDbtCli


@dg.asset(
    key=["published", "dbt_docs"],
    deps=[dg.AssetKey(["published", "marts"])],
    group_name="publish",
    description=(
        "The dbt docs site for readers of the published marts: CCP_PUBLISH_DIR/models/index.html, "
        "one static page (models, columns, descriptions, lineage, column types from the warehouse)."
    ),
)
def dbt_docs(
    dbt: ProjectDbtCli, warehouse: WarehouseResource, engine: EngineResource, publish_target: PublishResource
) -> dg.MaterializeResult:
    build = warehouse.file.parent / "dbt_docs_build"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    # The run's manifest and parse: `--no-compile` documents what the run built.
    for name in ("manifest.json", "partial_parse.msgpack"):
        prepared = Path(dbt.project_dir) / "target" / name
        if prepared.exists():
            shutil.copyfile(prepared, build / name)
    # The manifest of the run is current: only the catalog needs the warehouse.
    dbt.cli(
        [
            "docs",
            "generate",
            "--static",
            "--no-compile",
            "--no-version-check",
            "--vars",
            json.dumps(
                {**warehouse.dbt_profile_vars(), **engine.dbt_profile_vars(), **shipped_tables_var(engine)},
                sort_keys=True,
            ),
        ],
        target_path=build,
        env=engine.dbt_env(),
    ).wait()
    page = dbt_docs_page(publish_target.folder)
    page.parent.mkdir(parents=True, exist_ok=True)
    # Readers never see a half-written page: write aside, then rename.
    aside = page.with_name(f".{page.name}.{os.getpid()}.tmp")
    shutil.copyfile(Path(build) / "static_index.html", aside)
    os.replace(aside, page)
    return dg.MaterializeResult(metadata={"page": dg.MetadataValue.url(page.as_uri()), "bytes": page.stat().st_size})
