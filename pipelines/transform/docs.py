"""The dbt docs site of the published marts: `dbt docs generate --static` (every model
and column with its description, lineage, and the catalog of column types and comments
read from the warehouse), written beside the Data Docs after each release.

The page depends only on the dbt project's manifest and on the warehouse's tables,
columns, types and comments (dbt-duckdb's catalog has no row counts or other
statistics). Generating it starts a dbt process (about 4 s), so the last page is kept
in the dbt project's target folder with a key of those inputs and published again
while the key is unchanged; a changed description, model, column or type generates it
anew."""

import hashlib
import json
import shutil
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from pipelines.core.engines import EngineResource
from pipelines.core.paths import dbt_docs_page
from pipelines.core.resources import PublishResource
from pipelines.core.spark import shipped_tables_var
from pipelines.core.warehouse import WarehouseResource
from pipelines.transform.project import ProjectDbtCli, copy_aside, target_dir

CACHE_FOLDER = "docs_page"

# What dbt-duckdb's catalog reads (macros/catalog.sql): tables and views with their
# comments, and every column's position, type and comment.
_SCHEMA_SIGNATURE = """
    SELECT 'table' AS kind, schema_name, table_name, NULL AS column_index, NULL AS column_name,
           NULL AS data_type, comment
    FROM duckdb_tables() WHERE database_name = current_database()
    UNION ALL
    SELECT 'view', schema_name, view_name, NULL, NULL, NULL, comment
    FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
    UNION ALL
    SELECT 'column', schema_name, table_name, column_index, column_name, data_type, comment
    FROM duckdb_columns() WHERE database_name = current_database() AND NOT internal
    ORDER BY 1, 2, 3, 4
"""


def _without_run_metadata(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest minus what changes with each parse but not on the page: the
    invocation's metadata and each node's parse time."""
    kept: dict[str, Any] = {}
    for section, value in manifest.items():
        if section == "metadata":
            continue
        if isinstance(value, dict):
            value = {
                uid: {k: v for k, v in node.items() if k != "created_at"} if isinstance(node, dict) else node
                for uid, node in value.items()
            }
        kept[section] = value
    return kept


def page_key(manifest_path: Path, con: duckdb.DuckDBPyConnection) -> str:
    """A hash of everything the docs page shows: the manifest (without its run
    metadata), the warehouse's schema and the dbt version."""
    digest = hashlib.sha256()
    digest.update(metadata.version("dbt-core").encode())
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    digest.update(json.dumps(_without_run_metadata(manifest), sort_keys=True).encode())
    digest.update(json.dumps(con.execute(_SCHEMA_SIGNATURE).fetchall(), default=str).encode())
    digest.update(str(con.execute("SELECT current_database()").fetchone()[0]).encode())
    return digest.hexdigest()


def publish_page(key: str, cache: Path, page: Path, generate: Callable[[], Path]) -> bool:
    """Publishes the cached page when its key is `key`, else the page `generate()`
    writes (then cached under `key`). Returns whether the cached page was reused."""
    cached_page, cached_key = cache / "static_index.html", cache / "key"
    if cached_page.exists() and cached_key.exists() and cached_key.read_text() == key:
        copy_aside(cached_page, page)
        return True
    generated = generate()
    cached_key.unlink(missing_ok=True)
    copy_aside(generated, cached_page)
    cached_key.write_text(key)
    copy_aside(generated, page)
    return False


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
    target = target_dir()

    def generate() -> Path:
        build = warehouse.file.parent / "dbt_docs_build"
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        # The run's manifest and parse: `--no-compile` documents what the run built.
        for name in ("manifest.json", "partial_parse.msgpack"):
            prepared = target / name
            if prepared.exists():
                shutil.copyfile(prepared, build / name)
        # The manifest of the run is current: only the catalog needs the engine.
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
        return build / "static_index.html"

    page = dbt_docs_page(publish_target.folder)
    if not engine.is_duckdb:
        # The catalog is the engine's, and the key reads DuckDB's schema: no kept page.
        copy_aside(generate(), page)
        return dg.MaterializeResult(
            metadata={"page": dg.MetadataValue.url(page.as_uri()), "bytes": page.stat().st_size}
        )
    with warehouse.connect(read_only=True, purpose="docs") as con:
        key = page_key(target / "manifest.json", con)
    reused = publish_page(key, target / CACHE_FOLDER, page, generate)
    return dg.MaterializeResult(
        metadata={
            "page": dg.MetadataValue.url(page.as_uri()),
            "bytes": page.stat().st_size,
            "reused": dg.MetadataValue.bool(reused),
            "key": key[:12],
        }
    )
