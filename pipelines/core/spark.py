"""The spark engine from Python: a session for the steps that read what dbt built on
Spark (the gates, the customer-base models, publish).

dbt's Spark session keeps its catalog in a Derby metastore that one process may hold
at a time, and a JVM keeps Derby open until it exits, so this process never opens it:
its session has an in-memory catalog and registers every table from where Spark keeps
it, the SQL warehouse folder (`<schema>.db/<table>/`, Parquet, written by dbt) and the
shipped folders (`shipped/<schema>/<table>/`, written by ingest and the customer-base
models). Each time a step asks, the tables written since the session last registered
them are registered again, so it reads what the last dbt command wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.core.engines import SPARK, EngineResource
from pipelines.core.sql import quote_literal as _lit


def _tables(engine: EngineResource) -> dict[str, Path]:
    """`schema.table` -> its folder, for every table Spark holds for this project."""
    found: dict[str, Path] = {}
    warehouse = engine.spark_root / "warehouse"
    if warehouse.is_dir():
        for schema in sorted(warehouse.glob("*.db")):
            for table in sorted(schema.iterdir()):
                if table.is_dir() and not table.name.startswith((".", "_")):
                    found[f"{schema.name[: -len('.db')]}.{table.name}"] = table
    found.update(shipped_tables(engine))
    return found


def shipped_tables(engine: EngineResource) -> dict[str, Path]:
    """The tables other steps shipped to Spark as Parquet folders, by `schema.table`."""
    shipped = engine.spark_root / "shipped"
    if not shipped.is_dir():
        return {}
    return {
        f"{schema.name}.{table.name}": table
        for schema in sorted(shipped.iterdir())
        if schema.is_dir()
        for table in sorted(schema.iterdir())
        if table.is_dir() and not table.name.startswith(".")
    }


def shipped_tables_var(engine: EngineResource) -> dict[str, Any]:
    """The var a dbt command on Spark gets: the shipped Parquet folders it registers as
    tables before it builds (macros/engines.sql). Nothing on other engines."""
    if engine.kind != SPARK:
        return {}
    return {"ccp_spark_tables": {name: str(folder) for name, folder in shipped_tables(engine).items()}}


def spark_session(engine: EngineResource) -> Any:
    """This process's Spark session on the engine's master, every table registered."""
    from pyspark.sql import SparkSession

    engine.spark_root.mkdir(parents=True, exist_ok=True)
    spark = (
        SparkSession.builder.master(engine.spark_master)
        .appName("core-customers")
        .config("spark.sql.catalogImplementation", "in-memory")
        # Tables created here are never managed: keep Spark's default folder out of
        # the working directory all the same.
        .config("spark.sql.warehouse.dir", str(_session_warehouse(engine)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.level", "WARN")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    register_tables(spark, engine)
    return spark


# What this process's sessions registered: application id -> {table: (folder, its files)}.
_registered: dict[str, dict[str, tuple[str, tuple]]] = {}


def _session_warehouse(engine: EngineResource) -> Path:
    return engine.spark_root / "session-warehouse"


def _files(folder: Path) -> tuple:
    """Every file of a table's folder with its size and modification time: a table
    written again (dbt, a shipped model) changes them."""
    stats = ((p, p.stat()) for p in folder.rglob("*") if p.is_file())
    return tuple(sorted((str(p.relative_to(folder)), st.st_size, st.st_mtime_ns) for p, st in stats))


def _register(spark: Any, name: str, folder: Path) -> None:
    """`schema.table` as a table over the Parquet folder, replacing any earlier one."""
    schema = name.split(".", 1)[0]
    if not spark.catalog.databaseExists(schema):
        spark.sql(f"CREATE DATABASE {schema}")
    spark.sql(f"DROP TABLE IF EXISTS {name}")
    spark.sql(f"CREATE TABLE {name} USING parquet LOCATION {_lit(str(folder))}")


def register_tables(spark: Any, engine: EngineResource) -> None:
    """Register every table of the engine in this session, skipping the ones whose
    files did not change since this session registered them: every step that reads a
    table asks, and registering them all takes about 4 s even on a tiny warehouse."""
    spark.catalog.clearCache()
    tables = _tables(engine)
    state = {name: (str(folder), _files(folder)) for name, folder in tables.items()}
    application = spark.sparkContext.applicationId
    known = _registered.get(application, {})
    for name, folder in tables.items():
        if known.get(name) != state[name]:
            _register(spark, name, folder)
    if state != known:
        _information_schema(spark, engine, list(tables))
    _registered[application] = state


def _information_schema(spark: Any, engine: EngineResource, tables: list[str]) -> None:
    """`information_schema.columns` as the SQL engines have it (schema, table, column,
    type, position), for suites that check which columns a table has. Written to a
    folder of its own and registered like the other tables: a managed table would be
    refused by the next process's session, whose catalog does not know the folder."""
    rows = [
        (name.split(".", 1)[0], name.split(".", 1)[1], field.name, field.dataType.simpleString(), position)
        for name in tables
        for position, field in enumerate(spark.table(name).schema.fields, start=1)
    ]
    columns = spark.createDataFrame(
        rows, "table_schema string, table_name string, column_name string, data_type string, ordinal_position int"
    )
    folder = _session_warehouse(engine) / "information_schema" / "columns"
    columns.write.mode("overwrite").parquet(str(folder))
    _register(spark, "information_schema.columns", folder)
