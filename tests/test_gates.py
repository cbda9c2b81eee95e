"""The Great Expectations gates on their own: the project's suites load whole, and
validation runs inside DuckDB with exact counts. The second test is the guard for
GX upgrades: if GX changes how it runs SQL on DuckDB, it fails here, loudly."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.checks.suites import GATES, Suite, load_suite, load_suites
from pipelines.checks.validate import validate_suites
from pipelines.core.resources import pipeline_resources
from pipelines.core.settings import Settings


def test_every_suite_in_the_repository_loads_and_gx_accepts_every_expectation():
    import great_expectations as gx

    settings = Settings.from_env({"CCP_MAX_ORPHAN_SHARE": "0.03"})
    thresholds = pipeline_resources(settings)["quality"].thresholds()
    suites = [s for gate in GATES for s in load_suites(settings.expectations_dir, gate, thresholds)]
    assert {s.gate for s in suites} == set(GATES)
    for suite in suites:
        parsed = gx.ExpectationSuite(**suite.definition)
        assert len(parsed.expectations) == len(suite.definition["expectations"]), suite.path
    # Settings reach the suites.
    orphans = next(s for s in suites if s.name == "staging.orphans")
    assert orphans.definition["expectations"][0]["kwargs"]["max_value"] == 0.03
    assert orphans.table == "audit.orphan_report" and orphans.asset == ("audit", "orphan_report")


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A warehouse with 10,000 orders and a known number of bad rows of each kind."""
    path = tmp_path / "planted.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA sales")
        con.execute(
            """CREATE TABLE sales.orders AS SELECT
                 CASE WHEN i >= 9998 THEN i - 5000 ELSE i END AS order_id,   -- 2 ids reused: 4 rows
                 CASE WHEN i % 1000 = 7 THEN NULL ELSE 'C' || (i % 50) END AS customer_id,  -- 10 nulls
                 CASE WHEN i % 2500 = 3 THEN -1 ELSE 1 + i % 9 END AS quantity,            -- 4 negative
                 CASE WHEN i % 5000 = 11 THEN 'usd' ELSE 'CNY' END AS currency,            -- 2 bad codes
                 DATE '2025-01-01' + (i % 300)::INTEGER AS ordered_on,
                 DATE '2025-01-01' + (i % 300)::INTEGER + CASE WHEN i % 2000 = 5 THEN -1 ELSE 2 END AS shipped_on  -- 5
               FROM range(10000) AS t(i)"""
        )
        con.execute("CREATE TABLE sales.customers AS SELECT 'C' || i AS customer_id FROM range(45) AS t(i)")
    return path


def test_validation_runs_in_the_database_with_exact_counts_and_releases_the_file(planted, tmp_path):
    definition = {
        "name": "planted.orders",
        "meta": {"asset": "sales/orders", "table": "sales.orders"},
        "expectations": [
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "order_id"}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer_id"}},
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "quantity", "min_value": 1}},
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "currency", "value_set": ["CNY", "USD"]},
            },
            {
                "type": "expect_column_pair_values_a_to_be_greater_than_b",
                "kwargs": {"column_A": "shipped_on", "column_B": "ordered_on"},
            },
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 10000}},
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {
                    "unexpected_rows_query": "SELECT o.customer_id FROM {batch} AS o LEFT JOIN sales.customers AS c "
                    "ON o.customer_id = c.customer_id WHERE o.customer_id IS NOT NULL AND c.customer_id IS NULL"
                },
            },
        ],
    }
    suite_file = tmp_path / "orders.json"
    suite_file.write_text(json.dumps(definition))
    suite = load_suite(suite_file, "planted", {})

    [outcome] = validate_suites(planted, [suite], docs_dir=tmp_path / "docs")

    counts = {(e.expectation, e.column): (e.success, e.unexpected_count) for e in outcome.expectations}
    assert all(e.error is None for e in outcome.expectations), [e.error for e in outcome.expectations]
    assert counts[("expect_column_values_to_be_unique", "order_id")] == (False, 4)
    assert counts[("expect_column_values_to_not_be_null", "customer_id")] == (False, 10)
    assert counts[("expect_column_values_to_be_between", "quantity")] == (False, 4)
    assert counts[("expect_column_values_to_be_in_set", "currency")] == (False, 2)
    assert counts[("expect_column_pair_values_a_to_be_greater_than_b", "shipped_on, ordered_on")] == (False, 5)
    assert counts[("expect_table_row_count_to_be_between", "")][0] is True
    # Customers C45..C49 are unknown: 5 ids x 200 orders each, less the null rows among them.
    unknown = (
        duckdb.connect(str(planted), read_only=True)
        .execute("SELECT count(*) FROM sales.orders WHERE customer_id IN ('C45','C46','C47','C48','C49')")
        .fetchone()[0]
    )
    assert counts[("unexpected_rows_expectation", "")] == (False, unknown)
    assert (
        "expect_column_values_to_be_between on quantity: 4 unexpected (0.04%), e.g. [-1, -1, -1, -1]"
        in outcome.describe()
    )
    assert (tmp_path / "docs" / "index.html").exists()
    # GX let go of the file: a writer can open it.
    duckdb.connect(str(planted)).close()


def test_a_summary_query_suite_is_validated_on_its_rows_and_reported(planted, tmp_path):
    # Orphan-style summary: one row per kind with a share; the gate fails on the kind
    # above its limit and the report carries every row, the non-blocking one included.
    definition = {
        "name": "planted.orphans",
        "meta": {
            "asset": "sales/orders",
            "report": True,
            "query": "SELECT 'orders for unknown customers' AS kind, count(*) FILTER (WHERE c.customer_id IS NULL "
            "AND o.customer_id IS NOT NULL) AS orphans, count(*) AS total, "
            "count(*) FILTER (WHERE c.customer_id IS NULL AND o.customer_id IS NOT NULL) / count(*) AS share "
            "FROM sales.orders AS o LEFT JOIN sales.customers AS c ON o.customer_id = c.customer_id "
            "UNION ALL SELECT 'not checked', 3, 10, NULL",
        },
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "share", "min_value": 0, "max_value": 0.05},
            },
        ],
    }
    suite_file = tmp_path / "orphans.json"
    suite_file.write_text(json.dumps(definition))
    suite = load_suite(suite_file, "planted", {})

    [outcome] = validate_suites(planted, [suite])

    # Customers C45..C49 are unknown: 5 of 50 ids, 1,000 of the 10,000 orders but the 10 null ones.
    unknown = sum(1 for i in range(10000) if i % 1000 != 7 and i % 50 >= 45)
    assert not outcome.success
    [share] = outcome.expectations
    assert (share.column, share.unexpected_count) == ("share", 1)
    assert outcome.report == [
        {"kind": "orders for unknown customers", "orphans": unknown, "total": 10000, "share": unknown / 10000},
        {"kind": "not checked", "orphans": 3, "total": 10, "share": None},
    ]


def test_a_gate_covers_every_published_mart():
    from pipelines.publish.release import PUBLISHED_TABLES

    expectations_dir = Settings.from_env({}).expectations_dir
    # The customer-base models' tables are validated by the predictions gate, before
    # the marts that read them; every other mart by the marts gate.
    suites = [*load_suites(expectations_dir, "marts", {}), *load_suites(expectations_dir, "predictions", {})]
    validated = {s.table.removeprefix("marts.") for s in suites if s.table}
    assert set(PUBLISHED_TABLES) <= validated, set(PUBLISHED_TABLES) - validated


@pytest.mark.parametrize(
    ("gate", "suite_name"), [("raw", "orders"), ("raw", "fx_rates"), ("staging", "stg_sales__orders")]
)
def _one_expectation(
    tmp_path: Path, gate: str, suite_name: str, pick: Callable[[dict], bool], table_sql: Callable[[dict], str]
):
    """One expectation of a project suite (the one `pick` accepts), validated alone on a
    hand-made table built by `table_sql(expectation)` (a SELECT) in a fresh warehouse:
    the expectation, its suite outcome and its result."""
    settings = Settings.from_env({})
    suite = load_suite(settings.expectations_dir / gate / f"{suite_name}.json", gate, {"max_quarantine_share": 0.05})
    [expectation] = [e for e in suite.definition["expectations"] if pick(e)]
    warehouse = tmp_path / "hand_made.duckdb"
    schema, _ = suite.table.split(".")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"CREATE SCHEMA {schema}")
        con.execute(f"CREATE TABLE {suite.table} AS {table_sql(expectation)}")
    single = tmp_path / f"{suite_name}.json"
    single.write_text(json.dumps({**suite.definition, "expectations": [expectation]}))
    [outcome] = validate_suites(warehouse, [load_suite(single, gate, {})])
    [result] = outcome.expectations
    return expectation, outcome, result


@pytest.mark.parametrize(
    ("gate", "suite_name"), [("raw", "orders"), ("raw", "fx_rates"), ("staging", "stg_sales__orders")]
)
def test_the_currency_checks_name_each_bad_code_with_its_rows(tmp_path, gate, suite_name):
    # The project's own query, on a hand-made table: 'usd' twice, 'US' and 'CN1' once,
    # good codes and a NULL (another expectation's business) many times.
    _, outcome, result = _one_expectation(
        tmp_path,
        gate,
        suite_name,
        lambda e: e["type"] == "unexpected_rows_expectation" and "currency" in e["kwargs"]["unexpected_rows_query"],
        lambda _: (
            """SELECT CASE
                   WHEN i IN (3, 700) THEN 'usd' WHEN i = 5 THEN 'US' WHEN i = 8 THEN 'CN1'
                   WHEN i % 100 = 1 THEN NULL WHEN i % 2 = 0 THEN 'CNY' ELSE 'USD' END AS currency
                 FROM range(1000) AS t(i)"""
        ),
    )

    assert not outcome.success and result.unexpected_count == 3
    assert sorted((r["currency"], r["rows"]) for r in result.sample) == [("CN1", 1), ("US", 1), ("usd", 2)]


KEY_QUERY = "HAVING count(*) > 1"


def _key_checks() -> list[tuple[str, str]]:
    """(gate, suite) of every suite that checks its table's key with a grouped query."""
    settings = Settings.from_env({})
    return sorted(
        (path.parent.name, path.stem)
        for path in settings.expectations_dir.glob("*/*.json")
        if KEY_QUERY in path.read_text(encoding="utf-8")
    )


def test_the_key_checks_cover_every_row_level_table():
    assert {suite for _, suite in _key_checks()} >= {
        "stg_sales__orders",
        "stg_sales__order_lines",
        "stg_sales__returns",
        "stg_sales__fx_rates",
        "stg_crm__customers",
        "stg_crm__interactions",
        "int_orders__converted",
        "customer_value",
        "customer_tier_history",
        "customer_predictions",
    }


@pytest.mark.parametrize(("gate", "suite_name"), _key_checks())
def test_a_key_check_names_each_repeated_key_with_its_rows(tmp_path, gate, suite_name):
    # The suite's own query, on a hand-made table of its key columns: key 7 three times,
    # key 8 twice, keys 0-99 once otherwise, and a row with no key at all twice (the
    # not-null expectations' business, not a repeated key).
    def key_columns(expectation) -> list[str]:
        return [c.strip() for c in expectation["meta"]["column"].split(",")]

    def keys(expectation) -> str:
        values = ", ".join(f"CASE WHEN i >= 100 THEN NULL ELSE 'k' || i END AS {c}" for c in key_columns(expectation))
        return f"SELECT {values} FROM (SELECT i FROM range(102) AS t(i) UNION ALL VALUES (7), (7), (8)) AS keys(i)"

    key, outcome, result = _one_expectation(
        tmp_path, gate, suite_name, lambda e: KEY_QUERY in e["kwargs"].get("unexpected_rows_query", ""), keys
    )

    columns = key_columns(key)
    assert not outcome.success and result.unexpected_count == 2
    assert result.column == ", ".join(columns)
    assert sorted((r[columns[0]], r["rows"]) for r in result.sample) == [("k7", 3), ("k8", 2)]


def _suite(tmp_path: Path, name: str, table: str) -> Suite:
    definition = {
        "name": f"planted.{name}",
        "meta": {"asset": table.replace(".", "/"), "table": table},
        "expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer_id"}}],
    }
    path = tmp_path / "suites" / f"{name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(definition))
    return load_suite(path, "planted", {})


def test_the_data_docs_keep_every_kept_run_and_render_only_the_new_results(planted, tmp_path):
    orders, customers = _suite(tmp_path, "orders", "sales.orders"), _suite(tmp_path, "customers", "sales.customers")
    docs, results = tmp_path / "docs", tmp_path / "results"

    def gate(run: str, suites: list[Suite]) -> None:
        validate_suites(
            planted,
            suites,
            docs_dir=docs,
            results_dir=results,
            run_name=run,
            results_kept_days=30,
            listed_suites=[orders, customers],
        )

    def pages(run: str) -> list[Path]:
        return sorted(docs.glob(f"validations/**/{run}/**/*.html"))

    gate("first", [orders])
    gate("first", [customers])
    [first_page] = pages("first")[:1]
    rendered_at = first_page.stat().st_mtime_ns
    # A result from 40 days ago, past the 30 days results are kept, with its page.
    [stored] = sorted(results.glob("planted/orders/first/*/*.json"))
    old = (
        results / "planted" / "orders" / "old" / (datetime.now(UTC) - timedelta(days=40)).strftime("%Y%m%dT%H%M%S.%fZ")
    )
    old.mkdir(parents=True)
    shutil.copyfile(stored, old / stored.name)
    old_page = docs / first_page.relative_to(docs).as_posix().replace("/first/", "/old/", 1)
    old_page = old_page.parent.parent / old.name / old_page.name
    old_page.parent.mkdir(parents=True)
    shutil.copyfile(first_page, old_page)

    gate("second", [orders])

    index = (docs / "index.html").read_text(encoding="utf-8")
    # Both runs are on the index, each suite of both gates has its page...
    assert len(pages("first")) == 2 and len(pages("second")) == 1
    assert index.count("/first/") == 2 and index.count("/second/") == 1
    assert {p.name for p in docs.glob("expectations/planted/*.html")} == {"orders.html", "customers.html"}
    # ...the first run's pages were not rendered again...
    assert first_page.stat().st_mtime_ns == rendered_at
    # ...and the result past the kept days is gone, with its page and from the index.
    assert not (results / "planted" / "orders" / "old").exists()
    assert not old_page.exists() and "/old/" not in index


def test_a_failed_query_expectation_keeps_its_count_when_its_rows_cannot_be_read(planted, tmp_path, monkeypatch):
    from pipelines.checks import validate

    def refuse(self, query):
        raise RuntimeError("connection lost\nmore detail")

    definition = {
        "name": "planted.negative",
        "meta": {"asset": "sales/orders", "table": "sales.orders"},
        "expectations": [
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {"unexpected_rows_query": "SELECT order_id FROM {batch} WHERE quantity < 0"},
            }
        ],
    }
    suite_file = tmp_path / "negative.json"
    suite_file.write_text(json.dumps(definition))
    monkeypatch.setattr(validate._SqlSource, "rows", refuse)

    [outcome] = validate_suites(planted, [load_suite(suite_file, "planted", {})])

    [result] = outcome.expectations
    assert not outcome.success and result.unexpected_count == 4 and result.error is None
    assert result.sample == ["rows not shown: connection lost"]


def test_a_gate_result_never_shows_the_engine_password():
    from types import SimpleNamespace

    from pipelines.checks.validate import ExpectationOutcome, _scrubbed
    from pipelines.core.engines import POSTGRES

    engine = SimpleNamespace(kind=POSTGRES, postgres=SimpleNamespace(password="s3cret"))
    failed = ExpectationOutcome(
        "unexpected_rows_expectation",
        "",
        False,
        2,
        None,
        "",
        ["rows not shown: connection to postgresql://ccp:s3cret@db failed", {"order_id": "O1"}],
        error="password s3cret rejected",
    )

    scrubbed = _scrubbed(failed, engine)

    assert scrubbed.sample == ["rows not shown: connection to postgresql://ccp:***@db failed", {"order_id": "O1"}]
    assert scrubbed.error == "password *** rejected"
