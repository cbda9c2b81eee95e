"""Write-audit-publish of the marts: layout, manifest, atomic switch, rollback, and
readers that hold the published file open during a new release."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.publish import release as rel

TABLES = {"customer_value": ("customer_id",), "pareto_summary": ("as_of_date",)}


def make_warehouse(path: Path, revenue: int) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(
        "CREATE OR REPLACE TABLE marts.customer_value AS "
        f"SELECT * FROM (VALUES ('C2', '华东', {revenue}), ('C1', 'West', 5)) AS t(customer_id, region, net_revenue_window)"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE marts.pareto_summary AS SELECT DATE '2025-12-31' AS as_of_date, {revenue + 5} AS total"
    )
    con.close()
    return path


def publish(warehouse: Path, publish_dir: Path, run_id: str) -> rel.Release:
    return rel.publish(
        warehouse,
        publish_dir,
        run_id=run_id,
        as_of_date="2025-12-31",
        gates=[{"suite": "marts.customer_value", "success": True}],
        tables=TABLES,
    )


def test_a_release_has_the_database_parquet_and_manifest_behind_fixed_paths(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    out = tmp_path / "published"

    release = publish(warehouse, out, "run-0001-aaaa")

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == "run-0001-aaaa" and manifest["as_of_date"] == "2025-12-31"
    assert manifest["tables"]["customer_value"]["rows"] == 2
    assert [c["name"] for c in manifest["tables"]["customer_value"]["columns"]] == [
        "customer_id",
        "region",
        "net_revenue_window",
    ]
    assert manifest["gates"] == [{"suite": "marts.customer_value", "success": True}]
    assert (out / "current").resolve() == release.path
    with duckdb.connect(str(out / "marts.duckdb"), read_only=True) as con:
        # Rows are written in key order, text survives.
        assert con.execute("SELECT customer_id, region FROM customer_value").fetchall() == [
            ("C1", "West"),
            ("C2", "华东"),
        ]
    with duckdb.connect() as con:
        parquet = con.execute(f"SELECT count(*) FROM '{out / 'parquet' / 'customer_value.parquet'}'").fetchone()
    assert parquet == (2,)
    # Published files are read-only.
    assert oct((release.path / "marts.duckdb").stat().st_mode)[-3:] == "444"


def test_the_published_file_is_readable_at_the_older_storage_version(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    release = publish(warehouse, tmp_path / "published", "run-0001-aaaa")
    con = duckdb.connect()
    con.execute(f"ATTACH '{release.path / 'marts.duckdb'}' AS pub (READ_ONLY)")
    tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'pub'").fetchone()[0]
    # The file declares the oldest DuckDB that reads it.
    assert tags["storage_version"] == rel.STORAGE_VERSION + "+"
    con.close()


def test_same_content_gives_the_same_checksums_and_changed_content_does_not(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    out = tmp_path / "published"
    first = publish(warehouse, out, "run-0001-aaaa").manifest["tables"]
    second = publish(warehouse, out, "run-0002-bbbb").manifest["tables"]
    make_warehouse(warehouse, 11)
    third = publish(warehouse, out, "run-0003-cccc").manifest["tables"]

    assert first == second
    assert third["customer_value"]["checksum"] != first["customer_value"]["checksum"]


def test_a_reader_holding_the_published_file_is_not_blocked_and_then_sees_the_new_set(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    out = tmp_path / "published"
    publish(warehouse, out, "run-0001-aaaa")
    reader = duckdb.connect(str(out / "marts.duckdb"), read_only=True)

    make_warehouse(warehouse, 99)
    publish(warehouse, out, "run-0002-bbbb")

    # The open reader keeps its consistent old generation...
    assert reader.execute("SELECT total FROM pareto_summary").fetchone() == (15,)
    reader.close()
    # ...and a new reader sees the new one.
    with duckdb.connect(str(out / "marts.duckdb"), read_only=True) as fresh:
        assert fresh.execute("SELECT total FROM pareto_summary").fetchone() == (104,)


def test_a_failed_release_leaves_the_live_one_untouched(tmp_path, monkeypatch):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    out = tmp_path / "published"
    live = publish(warehouse, out, "run-0001-aaaa")
    before = (out / "manifest.json").read_bytes()

    with pytest.raises(rel.PublishError, match="could not copy the marts"):
        rel.publish(
            warehouse, out, run_id="run-0002-bbbb", as_of_date=None, gates=[], tables={**TABLES, "missing_mart": ("x",)}
        )

    assert (out / "manifest.json").read_bytes() == before
    assert rel.current_release(out).release_id == live.release_id
    assert [p.name for p in rel.releases(out)] == [live.release_id]
    assert not list((out / "releases").glob(".building-*"))


def test_rollback_makes_the_previous_release_live_and_old_ones_are_pruned(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    out = tmp_path / "published"
    ids = [publish(warehouse, out, f"run-000{i}-xxxx").release_id for i in range(1, 5)]

    assert [p.name for p in rel.releases(out)] == ids[-rel.KEEP_RELEASES :]
    back = rel.rollback(out)

    assert back.release_id == ids[-2]
    assert json.loads((out / "manifest.json").read_text())["run_id"] == "run-0003-xxxx"


def test_published_columns_have_bi_types_and_their_descriptions_in_both_formats(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        # What dbt builds: sums of decimals as DECIMAL(38,18), counts as HUGEINT.
        con.execute(
            """CREATE TABLE marts.customer_value AS SELECT 'C1' AS customer_id,
               CAST(12.5 AS DECIMAL(38, 18)) AS net_revenue_window, CAST(3 AS HUGEINT) AS orders_window,
               CAST(2 AS INTEGER) AS order_days, 0.25::DOUBLE AS revenue_share, true AS is_key_account,
               DATE '2025-12-31' AS as_of_date, 'x' AS undocumented"""
        )
    out = tmp_path / "published"
    rel.publish(
        warehouse, out, run_id="run-1", as_of_date="2025-12-31", gates=[], tables={"customer_value": ("customer_id",)}
    )
    expected = {
        "customer_id": "VARCHAR",
        "net_revenue_window": "DOUBLE",
        "orders_window": "BIGINT",
        "order_days": "BIGINT",
        "revenue_share": "DOUBLE",
        "is_key_account": "BOOLEAN",
        "as_of_date": "DATE",
        "undocumented": "VARCHAR",
    }
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["tables"]["customer_value"]
    assert {c["name"]: c["type"] for c in manifest["columns"]} == expected
    described = {c["name"]: c["description"] for c in manifest["columns"]}
    assert described["net_revenue_window"].startswith("Net revenue") and described["undocumented"] == ""
    assert manifest["description"].startswith("One row per customer")
    with duckdb.connect(str(out / "marts.duckdb"), read_only=True) as con:
        comments = dict(
            con.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'customer_value'"
            ).fetchall()
        )
        table_comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'customer_value'"
        ).fetchone()
        parquet = con.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{out}/parquet/customer_value.parquet')"
        ).fetchall()
    assert comments["net_revenue_window"] == described["net_revenue_window"] and comments["undocumented"] is None
    assert table_comment[0] == manifest["description"]
    assert dict(parquet) == expected


def test_a_column_type_with_no_published_type_stops_the_release(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.customer_value AS SELECT 'C1' AS customer_id, [1, 2] AS order_list")
    with pytest.raises(rel.PublishError, match=r"customer_value\.order_list: type INTEGER\[\]"):
        rel.publish(
            warehouse,
            tmp_path / "out",
            run_id="run-1",
            as_of_date=None,
            gates=[],
            tables={"customer_value": ("customer_id",)},
        )
    assert rel.current_release(tmp_path / "out") is None
    assert list((tmp_path / "out" / "releases").iterdir()) == []


def test_an_earlier_date_is_archived_and_a_later_one_goes_live(tmp_path):
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 10)
    out = tmp_path / "published"

    def publish_as_of(as_of: str, run_id: str) -> rel.Release:
        return rel.publish(warehouse, out, run_id=run_id, as_of_date=as_of, gates=[], tables=TABLES)

    live = publish_as_of("2025-12-31", "run-live")
    past = publish_as_of("2025-06-30", "run-past")
    assert past.archived and not live.archived
    assert rel.current_release(out).release_id == live.release_id
    assert json.loads((out / "as_of" / "2025-06-30" / "manifest.json").read_text())["run_id"] == "run-past"
    assert (out / "as_of" / "2025-06-30" / "parquet" / "customer_value.parquet").exists()
    assert [p.name for p in rel.releases(out)] == [live.release_id]
    # The same date again replaces its archived set and leaves no older copy behind.
    again = publish_as_of("2025-06-30", "run-past-2")
    assert list(rel.archived_releases(out)) == ["2025-06-30"]
    assert rel.archived_releases(out)["2025-06-30"].release_id == again.release_id
    assert [p.name for p in (out / "as_of" / ".releases").iterdir()] == [again.release_id]
    # The live date itself and later dates publish live.
    same_day = publish_as_of("2025-12-31", "run-rerun")
    later = publish_as_of("2026-01-31", "run-next")
    assert not same_day.archived and not later.archived
    assert rel.current_release(out).manifest["run_id"] == "run-next"
