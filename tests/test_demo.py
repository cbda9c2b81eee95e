"""The demo data generator: layout, determinism, consistency and the bad-row kinds.

Data sets are small (2,000 order lines) and shared per module where a test only
reads them, so the file runs in seconds; every check reads the written files back
with DuckDB, as the ingest would.
"""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.demo import generate
from pipelines.demo.__main__ import main
from pipelines.demo.bad_rows import KINDS
from pipelines.ingest import contract
from pipelines.ingest.contract import TABLES, TABLES_BY_NAME

LINES = 2_000
SEED = 11
END = date(2025, 12, 31)
START = date(2022, 1, 1)  # the default four years ending at END
MONTHS = [f"{year}-{month:02d}" for year in range(2022, 2026) for month in range(1, 13)]
# Line amounts in the reporting currency, and the order's date, for revenue checks.
NET_LINES = """
    SELECT o.customer_id, o.status, left(o.ordered_at, 10) AS order_date,
           (CAST(l.quantity AS DOUBLE) * CAST(l.unit_price AS DOUBLE) - CAST(l.discount_amount AS DOUBLE))
             * coalesce(CAST(f.rate_to_reporting AS DOUBLE), 1) AS amount
    FROM order_lines AS l
    JOIN orders AS o USING (order_id)
    LEFT JOIN fx_rates AS f ON f.currency = o.currency AND f.rate_date = left(o.ordered_at, 10)
"""


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _connect(root: Path, fmt: str = "csv") -> duckdb.DuckDBPyConnection:
    """A view per contract table over all of its batch files, every value as text
    (empty CSV fields as NULL), with the file each row came from."""
    con = duckdb.connect()
    for table in TABLES:
        pattern = (root / table.source / table.name / f"*.{fmt}").as_posix()
        if fmt == "csv":
            # The dialect spelled out, as the ingest does: a sniffer may miss a rare quote.
            source = (
                f"read_csv('{pattern}', header = true, all_varchar = true, delim = ',', "
                "quote = '\"', escape = '\"', filename = true)"
            )
        else:
            source = f"read_parquet('{pattern}', filename = true)"
        con.execute(f"CREATE VIEW {table.name} AS SELECT * FROM {source}")
    return con


def _scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def _count(con: duckdb.DuckDBPyConnection, table: str, where: str = "true") -> int:
    return _scalar(con, f"SELECT count(*) FROM {table} WHERE {where}")


def _distinct(con: duckdb.DuckDBPyConnection, table: str, column: str) -> set:
    return {value for (value,) in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()}


def _duplicated_in_a_batch(con: duckdb.DuckDBPyConnection, table: str) -> int:
    key = ", ".join(TABLES_BY_NAME[table].key)
    return _scalar(con, f"SELECT count(*) FROM (SELECT filename, {key} FROM {table} GROUP BY ALL HAVING count(*) > 1)")


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("clean")
    return root, generate(root, order_lines=LINES, seed=SEED)


@pytest.fixture(scope="module")
def con(clean) -> duckdb.DuckDBPyConnection:
    return _connect(clean[0])


def test_same_seed_gives_byte_identical_files_and_another_seed_other_data(clean, tmp_path):
    root, _ = clean
    generate(tmp_path / "again", order_lines=LINES, seed=SEED)
    generate(tmp_path / "other", order_lines=LINES, seed=SEED + 1)
    first, again, other = _files(root), _files(tmp_path / "again"), _files(tmp_path / "other")
    assert first == again
    assert first.keys() == other.keys()  # same tables and months...
    assert first["sales/order_lines/2024-03.csv"] != other["sales/order_lines/2024-03.csv"]  # ...other data
    assert first["crm/customers/2023-06.csv"] != other["crm/customers/2023-06.csv"]


def test_parquet_is_deterministic_too(tmp_path):
    generate(tmp_path / "a", order_lines=500, seed=3, fmt="parquet", years=1)
    generate(tmp_path / "b", order_lines=500, seed=3, fmt="parquet", years=1)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_one_file_per_month_per_table_with_the_contract_columns_in_order(clean):
    root, summary = clean
    for table in TABLES:
        folder = root / table.source / table.name
        assert sorted(p.name for p in folder.iterdir()) == [f"{m}.csv" for m in MONTHS], table.qualified
        rows = 0
        for path in folder.iterdir():
            with path.open(encoding="utf-8", newline="") as fh:
                reader = csv.reader(fh)
                assert next(reader) == table.column_names, path
                rows += sum(1 for _ in reader)
        assert summary["tables"][table.qualified] == {"rows": rows, "files": len(MONTHS), "bad_rows": 0}
    assert summary["tables"]["sales/order_lines"]["rows"] == LINES
    assert summary["date_range"] == {"start": START.isoformat(), "end": END.isoformat()}


def test_values_are_written_as_the_contract_expects(con):
    patterns = {
        contract.TIMESTAMP: r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
        contract.DATE: r"\d{4}-\d{2}-\d{2}",
        contract.DECIMAL: r"\d+(\.\d{1,2})?",
        contract.INTEGER: r"[1-9]\d*",
        contract.CURRENCY: r"[A-Z]{3}",
    }
    for table in TABLES:
        for column in table.columns:
            values = _distinct(con, table.name, column.name)
            if column.required:
                assert None not in values, f"{table.name}.{column.name} has empty values"
            pattern = patterns.get(column.kind)
            if column.name == "rate_to_reporting":
                pattern = r"\d+\.\d{4}"
            for value in values - {None}:
                if pattern:
                    assert re.fullmatch(pattern, value), (table.name, column.name, value)
                if column.accepted:
                    assert value in column.accepted, (table.name, column.name, value)


def test_keys_are_unique_and_only_crm_restates_customers_in_later_batches(con):
    for table in TABLES:
        assert _duplicated_in_a_batch(con, table.name) == 0, table.name
        if table.name != "customers":
            key = ", ".join(table.key)
            assert _scalar(con, f"SELECT count(*) - count(DISTINCT ({key})) FROM {table.name}") == 0, table.name
    restated = con.execute(
        """SELECT first.membership_level, later.membership_level, first.account_manager, later.account_manager
        FROM customers AS first JOIN customers AS later
          ON first.customer_id = later.customer_id AND first.filename < later.filename"""
    ).fetchall()
    assert restated, "no CRM customer is restated in a later batch"
    assert all((a, c) != (b, d) for a, b, c, d in restated), "a restatement changes nothing"


def test_no_date_after_the_end_date_and_facts_within_the_period(con):
    for table in TABLES:
        for column in table.columns:
            if column.kind not in (contract.DATE, contract.TIMESTAMP):
                continue
            first, last = con.execute(
                f"SELECT min(CAST({column.name} AS DATE)), max(CAST({column.name} AS DATE)) FROM {table.name}"
            ).fetchone()
            assert last <= END, (table.name, column.name, last)
            if column.name != "birthday":
                assert first >= START, (table.name, column.name, first)


def test_tables_agree_with_each_other(con):
    def none(sql: str) -> None:
        assert _scalar(con, f"SELECT count(*) FROM ({sql})") == 0, sql

    none("SELECT * FROM order_lines ANTI JOIN orders USING (order_id)")
    none("SELECT * FROM orders ANTI JOIN order_lines USING (order_id)")
    none("SELECT * FROM returns ANTI JOIN order_lines USING (order_id, line_number)")
    none(
        """SELECT * FROM returns AS r
        JOIN order_lines AS l USING (order_id, line_number)
        JOIN orders AS o USING (order_id)
        WHERE CAST(r.quantity AS INT) > CAST(l.quantity AS INT)
           OR CAST(r.refund_amount AS DECIMAL(18, 2))
              > CAST(l.quantity AS INT) * CAST(l.unit_price AS DECIMAL(18, 2))
                - CAST(l.discount_amount AS DECIMAL(18, 2))
           OR CAST(r.returned_at AS TIMESTAMP) <= CAST(o.ordered_at AS TIMESTAMP)
           OR o.status <> 'completed'"""
    )
    # Referrers are in CRM and were created before the customer they referred.
    none(
        """SELECT * FROM customers AS c
        WHERE referred_by_customer_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM customers AS r
            WHERE r.customer_id = c.referred_by_customer_id AND r.created_at < c.created_at)"""
    )
    # Customers order only once CRM has created them.
    none(
        """SELECT * FROM orders AS o JOIN customers AS c USING (customer_id)
        WHERE CAST(o.ordered_at AS TIMESTAMP) < CAST(c.created_at AS TIMESTAMP)"""
    )


def test_fx_rates_cover_every_date_and_every_foreign_order(con):
    days = (END - START).days + 1
    assert con.execute("SELECT currency, count(DISTINCT rate_date) FROM fx_rates GROUP BY 1 ORDER BY 1").fetchall() == [
        ("EUR", days),
        ("USD", days),
    ]
    uncovered = """currency <> 'CNY' AND NOT EXISTS (
        SELECT 1 FROM fx_rates AS f WHERE f.currency = o.currency AND f.rate_date = left(o.ordered_at, 10))"""
    assert _count(con, "orders AS o", uncovered) == 0
    assert _distinct(con, "orders", "currency") == {"CNY", "EUR", "USD"}
    usd = [float(v) for v in _distinct(con, "fx_rates WHERE currency = 'USD'", "rate_to_reporting")]
    assert 6.5 < min(usd) <= max(usd) < 7.7


def test_revenue_is_heavy_tailed(con):
    top_fifth_share = _scalar(
        con,
        f"""WITH revenue AS (
            SELECT customer_id, sum(amount) AS amount FROM ({NET_LINES}) WHERE status = 'completed' GROUP BY 1),
        ranked AS (
            SELECT amount, row_number() OVER (ORDER BY amount DESC) AS rank, count(*) OVER () AS n FROM revenue)
        SELECT sum(amount) FILTER (WHERE rank <= ceil(0.2 * n)) / sum(amount) FROM ranked""",
    )
    # Equal customers would still give the top fifth about half (orders and sizes
    # vary); the weights have to lift it well above.
    assert top_fifth_share > 0.6


def test_the_data_has_something_for_every_business_rule(con, clean):
    _, summary = clean
    people = summary["customers"]
    assert people["prospects"] >= 1 and people["unknown_to_crm"] >= 1
    assert (
        _count(con, "(SELECT DISTINCT customer_id FROM orders ANTI JOIN customers USING (customer_id))")
        == (people["unknown_to_crm"])
    )
    assert (
        _count(con, "(SELECT DISTINCT customer_id FROM customers ANTI JOIN orders USING (customer_id))")
        == (people["prospects"])
    )
    assert _count(con, "(SELECT customer_id FROM orders GROUP BY 1 HAVING count(*) = 1)") >= 1
    assert _count(con, "customers", "referred_by_customer_id IS NOT NULL") >= 1
    assert _count(con, "orders", "status = 'cancelled'") >= 1
    assert _count(con, "orders", "shipping_cost IS NULL") >= 1
    assert _count(con, "order_lines", "CAST(unit_cost AS DOUBLE) > CAST(unit_price AS DOUBLE)") >= 1
    assert _count(con, "order_lines", "CAST(discount_amount AS DOUBLE) > 0") >= 1
    interactions = TABLES_BY_NAME["interactions"]
    for column in interactions.columns:
        if column.accepted:
            assert _distinct(con, "interactions", column.name) == set(column.accepted), column.name
    names = _distinct(con, "customers", "customer_name")
    assert any(re.search(r"[\u4e00-\u9fff]", name) for name in names)
    assert any(re.match(r"[A-Za-z]", name) for name in names)
    assert _distinct(con, "customers", "customer_type") == {"company", "individual"}


def test_every_churn_reason_is_the_first_signal_of_several_lapsed_customers(tmp_path):
    """SPEC 7.1: among at-risk and churned customers at the default as_of_date, each
    reason (the first true signal, or none) belongs to several customers. Computed by
    the independent pandas implementation of the rules, so no warehouse is needed; the
    set is larger than the others here because the rarer stories need a few hundred
    customers to show every time."""
    from bench.baselines import pandas_rules

    generate(tmp_path, order_lines=20_000, seed=SEED)
    cv = pandas_rules.compute(tmp_path)["customer_value"]
    lapsed = cv.loc[cv["churn_status"].isin(["at_risk", "churned"])]
    reasons = lapsed["churn_reason"].value_counts().to_dict()
    expected = ["complaints", "returns", "order_decline", "discount_dependent", "no_contact", "one_time", "unexplained"]
    assert set(reasons) == set(expected)
    assert min(reasons.values()) >= 3, reasons
    assert cv.loc[~cv.index.isin(lapsed.index), "churn_reason"].isna().all()


def test_parquet_carries_the_same_rows_as_csv(clean, tmp_path):
    root, _ = clean
    generate(tmp_path, order_lines=LINES, seed=SEED, fmt="parquet")
    from_csv, from_parquet = _connect(root), _connect(tmp_path, "parquet")
    for table in TABLES:
        columns = ", ".join(table.column_names)
        query = f"SELECT {columns}, parse_filename(filename, true) AS batch FROM {table.name} ORDER BY ALL"
        assert from_csv.execute(query).fetchall() == from_parquet.execute(query).fetchall(), table.name


def test_bad_rows_cover_every_kind_of_row_error(tmp_path):
    clean = generate(tmp_path / "clean", order_lines=LINES, seed=SEED, years=2)
    summary = generate(tmp_path / "bad", order_lines=LINES, seed=SEED, years=2, bad_rows=12)
    bad_by_table = {name: t["bad_rows"] for name, t in summary["tables"].items() if t["bad_rows"]}
    assert sum(bad_by_table.values()) == 12
    assert set(bad_by_table) == {"sales/orders", "sales/order_lines", "crm/customers"}
    for name, table in summary["tables"].items():
        assert table["rows"] == clean["tables"][name]["rows"] + table["bad_rows"]

    con = _connect(tmp_path / "bad")
    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    not_a_number = "{c} IS NOT NULL AND TRY_CAST({c} AS DECIMAL(18, 6)) IS NULL"
    found = {
        "uncastable": _count(con, "order_lines", not_a_number.format(c="quantity"))
        + _count(con, "orders", not_a_number.format(c="shipping_cost"))
        + _count(con, "customers", "birthday IS NOT NULL AND TRY_CAST(birthday AS DATE) IS NULL"),
        "missing_required": _count(con, "order_lines", "product_id IS NULL")
        + _count(con, "orders", "customer_id IS NULL")
        + _count(con, "customers", "customer_name IS NULL"),
        "negative_quantity": _count(con, "order_lines", "TRY_CAST(quantity AS DECIMAL(18, 6)) < 0"),
        "bad_currency": _count(con, "orders", "NOT regexp_full_match(currency, '[A-Z]{3}')"),
        "duplicate_key": sum(_duplicated_in_a_batch(con, t) for t in ("orders", "order_lines", "customers")),
        "future_timestamp": _count(con, "orders", f"ordered_at > '{now}'")
        + _count(con, "customers", f"created_at > '{now}'"),
    }
    assert found == dict.fromkeys(KINDS, 2)  # twelve rows: every kind twice


def test_refuses_to_write_over_landed_files_and_bad_arguments(clean):
    root, _ = clean
    with pytest.raises(FileExistsError, match="already holds batch files"):
        generate(root, order_lines=100, seed=1)
    with pytest.raises(ValueError, match="order_lines"):
        generate(root / "x", order_lines=0)
    with pytest.raises(ValueError, match="format"):
        generate(root / "x", fmt="xlsx")


def test_command_line_prints_a_line_per_table(tmp_path, capsys):
    arguments = ["--order-lines", "300", "--seed", "2", "--out", str(tmp_path), "--years", "1"]
    assert main([*arguments, "--bad-rows", "6"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[: len(TABLES)]] == [t.qualified for t in TABLES]
    # The first six bad rows break two order lines (see bad_rows.TARGETS).
    assert re.search(r" 302 rows in 12 files, 2 bad$", lines[1]), lines[1]
    assert main(arguments) == 2  # the folder now holds batch files
