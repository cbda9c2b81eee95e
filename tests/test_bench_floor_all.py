"""floor_all, the benchmark's lower bound of the whole job, computes the published marts:
the pipeline runs once on a small generated data set, and every mart floor_all computes
is compared with the published one, row for row both ways (EXCEPT ALL), amounts rounded
to 1e-6 where summation order differs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bench.baselines import floor_all

# customer_value columns of the customer-base models (SPEC section 8): a Python fit,
# not computed by floor_all.
MODEL_COLUMNS = {
    "p_alive",
    "expected_orders_90d",
    "expected_orders_365d",
    "expected_order_value",
    "predicted_revenue_365d",
}


@pytest.fixture(scope="module")
def published(small_release: Path) -> tuple[Path, Path]:
    """Landing folder and published marts file of one pipeline run (tests/conftest.py)."""
    return small_release / "landing", small_release / "published" / "marts.duckdb"


@pytest.fixture(scope="module")
def con(published) -> duckdb.DuckDBPyConnection:
    """floor_all's marts as temp tables, beside the published marts attached as `pub`."""
    landing, marts = published
    connection = duckdb.connect()
    floor_all.compute(landing, con=connection)
    connection.execute(f"ATTACH '{marts.as_posix()}' AS pub (READ_ONLY)")
    yield connection
    connection.close()


def differences(con: duckdb.DuckDBPyConnection, mart: str, table: str) -> tuple[int, int, int]:
    """(published rows, rows only in the published mart, rows only in `table`), on the
    published columns, amounts rounded to 1e-6."""
    columns = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = 'pub' AND table_name = ? ORDER BY ordinal_position",
        [mart],
    ).fetchall()
    assert columns, f"{mart} is not published"
    exprs = []
    for name, kind in columns:
        if name in MODEL_COLUMNS:
            continue
        if kind in ("DOUBLE", "FLOAT") or kind.startswith("DECIMAL"):
            exprs.append(f'round(CAST("{name}" AS DOUBLE), 6) AS "{name}"')
        else:
            exprs.append(f'CAST("{name}" AS {kind}) AS "{name}"')
    select = ", ".join(exprs)
    published_rows = con.execute(f"SELECT count(*) FROM pub.{mart}").fetchone()[0]
    only_published = con.execute(
        f"SELECT count(*) FROM (SELECT {select} FROM pub.{mart} EXCEPT ALL SELECT {select} FROM {table})"
    ).fetchone()[0]
    only_floor = con.execute(
        f"SELECT count(*) FROM (SELECT {select} FROM {table} EXCEPT ALL SELECT {select} FROM pub.{mart})"
    ).fetchone()[0]
    return published_rows, only_published, only_floor


@pytest.mark.parametrize("mart", floor_all.MARTS)
def test_floor_all_computes_the_published_mart(con, mart):
    rows, only_published, only_floor = differences(con, mart, f"temp.main.{mart}")
    assert rows > 0
    assert (only_published, only_floor) == (0, 0), f"{mart}: {only_published} published rows differ"


def test_the_comparison_sees_one_changed_value(con):
    con.execute("CREATE OR REPLACE TEMP TABLE changed AS SELECT * FROM customer_tier_history")
    con.execute(
        "UPDATE changed SET pareto_tier = CASE pareto_tier WHEN 'A' THEN 'B' ELSE 'A' END "
        "WHERE (month_end, customer_id) = (SELECT (month_end, customer_id) FROM changed LIMIT 1)"
    )
    assert differences(con, "customer_tier_history", "changed")[1:] == (1, 1)


def test_floor_all_leaves_out_the_customer_base_models(con):
    columns = {row[0] for row in con.execute("DESCRIBE customer_value").fetchall()}
    assert columns.isdisjoint(MODEL_COLUMNS)
    assert {"key_account_score", "churn_reason", "is_core_customer"} <= columns
