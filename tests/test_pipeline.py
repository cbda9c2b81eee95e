"""The pipeline as a user runs it: definitions load without side effects, a refresh
on generated data builds every mart, runs are idempotent, and bad input fails the
run with a message naming the file and column."""

from __future__ import annotations

import datetime
import importlib
import json
import sys

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.core.settings import Settings
from pipelines.demo import generate
from pipelines.run import failure_messages, run_refresh
from tests.conftest import REFRESHED, mart_checksums

MARTS = {
    "customer_value",
    "pareto_summary",
    "pareto_curve",
    "quadrant_summary",
    "churn_analysis",
    "customer_tier_history",
    "tier_migration",
    "profit_band_summary",
    "segment_summary",
    "cohort_retention",
}


def test_importing_the_definitions_does_no_work(workdir):
    sys.modules.pop("pipelines.definitions", None)
    module = importlib.import_module("pipelines.definitions")
    # Lazy: nothing is built, no warehouse is opened until Dagster asks.
    assert not (workdir / "warehouse.duckdb").exists()
    assert callable(module.defs)


def test_definitions_hold_every_stage_job_schedule_and_sensor(workdir):
    from pipelines.definitions import defs

    definitions = defs()
    keys = {k.to_user_string() for k in definitions.resolve_asset_graph().get_all_asset_keys()}
    for table in ("orders", "order_lines", "returns", "fx_rates", "customers", "interactions"):
        assert f"raw/{table}" in keys
    assert "staging/stg_sales__orders" in keys and "intermediate/int_customer_orders" in keys
    assert {f"marts/{m}" for m in MARTS} <= keys
    assert definitions.resolve_job_def("refresh") is not None
    assert definitions.resolve_schedule_def("daily_refresh").execution_timezone == "Asia/Shanghai"
    assert definitions.resolve_sensor_def("landing_sensor") is not None


def test_the_dbt_resource_skips_only_probes_dagster_dbt_still_has():
    import subprocess

    from dagster_dbt import DbtCliResource

    from pipelines.core.paths import DBT_PROJECT_DIR
    from pipelines.transform.project import ProjectDbtCli, dbt_executable

    # Both overrides replace dagster-dbt internals; if an upgrade renames them, the
    # probes come back unnoticed unless this fails.
    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert name in vars(DbtCliResource), name
    resource = ProjectDbtCli(project_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())
    reported = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True).stdout
    assert f"installed: {resource._cli_version}" in reported


def test_a_dbt_command_gets_the_engine_password_in_its_own_environment_only(monkeypatch):
    """The engine's password reaches the dbt process through the environment dagster-dbt
    builds for it; this process's environment never holds it, and a command without
    one is started as dagster-dbt starts it."""
    import os

    from dagster_dbt.core import resource as dbt_cli_module

    from pipelines.core.engines import DBT_PASSWORD_ENV
    from pipelines.core.paths import DBT_PROJECT_DIR
    from pipelines.transform.project import ProjectDbtCli, dbt_executable

    started: list[dict[str, str]] = []

    class Started(Exception):
        pass

    def run(cls, *args, env, **kwargs):
        started.append(dict(env))
        raise Started

    # The name the override swaps for the length of a call must still be there.
    invocation = dbt_cli_module.DbtCliInvocation
    monkeypatch.setattr(invocation, "run", classmethod(run))
    resource = ProjectDbtCli(project_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())
    with pytest.raises(Started):
        resource.cli(["parse"], env={DBT_PASSWORD_ENV: "s3cret"})
    with pytest.raises(Started):
        resource.cli(["parse"])
    assert started[0][DBT_PASSWORD_ENV] == "s3cret"
    assert DBT_PASSWORD_ENV not in started[1] and DBT_PASSWORD_ENV not in os.environ
    assert dbt_cli_module.DbtCliInvocation is invocation


@REFRESHED
def test_a_refresh_builds_every_mart_from_landed_files(refreshed):
    settings, first, *_ = refreshed
    assert first.success, failure_messages(first)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        counts = {m: con.execute(f"SELECT count(*) FROM marts.{m}").fetchone()[0] for m in MARTS}
        read, loaded, quarantined = con.execute(
            "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM raw.ingest_ledger"
        ).fetchone()
        customers = con.execute("SELECT count(*) FROM staging.stg_crm__customers").fetchone()[0]
    assert all(counts[m] > 0 for m in MARTS), counts
    assert read == loaded + quarantined
    assert counts["customer_value"] >= customers


@REFRESHED
def test_a_second_run_on_the_same_files_loads_nothing_again_and_gives_the_same_marts(refreshed):
    settings, _, second, checksums, _ = refreshed
    assert second.success, failure_messages(second)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        files, distinct = con.execute("SELECT count(*), count(DISTINCT sha256) FROM raw.ingest_ledger").fetchone()
    assert files == distinct
    assert mart_checksums(settings.warehouse) == checksums


def test_a_file_missing_a_column_fails_the_run_naming_file_and_column(workdir):
    generate(workdir / "landing", order_lines=300, seed=5)
    broken = sorted((workdir / "landing" / "sales" / "orders").glob("*.csv"))[-1]
    lines = broken.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    position = header.index("currency")
    broken.write_text(
        "\n".join(",".join(v for i, v in enumerate(line.split(",")) if i != position) for line in lines) + "\n",
        encoding="utf-8",
    )

    result = run_refresh(Settings.from_env())

    assert not result.success
    messages = "\n".join(failure_messages(result))
    assert f"sales/orders/{broken.name}, column 'currency': required column is missing" in messages
    # Nothing downstream of the failed ingest ran.
    started = {e.step_key for e in result.all_events if e.is_step_start}
    assert "raw__orders" in started
    assert not started & {"dbt_staging", "dbt_marts", "published__marts"}, started


# customer_value columns compared with the independent implementation, by how they agree.
COMPARED = {
    "text": (
        "pareto_tier", "profit_band", "quadrant", "churn_status", "churn_reason", "referred_by_customer_id",
        "crm_group",
    ),
    "count": (
        "orders_window", "recency_days", "days_since_last_contact", "contacts_window", "feedback_window",
        "gifts_window", "events_window", "referral_interactions_window", "referred_customers_active",
        "active_months_window", "core_traits",
    ),
    "flag": (
        "signal_complaints", "signal_returns", "signal_order_decline", "signal_discount_dependent",
        "signal_no_contact", "signal_one_time", "trait_high_value", "trait_loyal", "trait_advocate",
        "trait_retained", "is_core_customer",
    ),
    "money": ("net_revenue_window", "referred_revenue_window"),
    "date": ("last_contact_date",),
}  # fmt: skip


def _agree(ours: pd.Series, theirs: pd.Series, kind: str) -> pd.Series:
    """Where two columns agree: both empty, or equal (money to 1e-6, the rest exactly)."""
    if kind == "money":
        equal = (ours.astype("float64") - theirs.astype("float64")).abs() < 1e-6
    elif kind == "count":
        equal = ours.astype("Float64") == theirs.astype("Float64")
    elif kind == "flag":
        equal = ours.astype("boolean") == theirs.astype("boolean")
    elif kind == "date":
        equal = pd.to_datetime(ours).astype("datetime64[s]") == pd.to_datetime(theirs).astype("datetime64[s]")
    else:
        equal = ours.astype("str") == theirs.astype("str")
    return (ours.isna() & theirs.isna()) | equal.fillna(False).astype(bool)


@REFRESHED
def test_the_marts_match_an_independent_implementation_of_the_rules(refreshed):
    """bench/baselines/pandas_rules implements SPEC sections 4, 7.1 and 7.2 from their text alone."""
    from bench.baselines import pandas_rules

    settings, first, *_ = refreshed
    assert first.success
    expected = pandas_rules.compute(settings.landing_dir)["customer_value"].set_index("customer_id")
    casts = {"money": "::DOUBLE", "date": "::DATE"}
    selected = [f"{c}{casts.get(kind, '')} AS {c}" for kind, columns in COMPARED.items() for c in columns]
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        actual = (
            con.execute(f"SELECT customer_id, {', '.join(selected)} FROM marts.customer_value")
            .df()
            .set_index("customer_id")
        )
    assert sorted(actual.index) == sorted(expected.index)
    joined = actual.merge(expected, left_index=True, right_index=True, suffixes=("", "_expected"))
    for kind, columns in COMPARED.items():
        for column in columns:
            same = _agree(joined[column], joined[f"{column}_expected"], kind)
            assert same.all(), (
                f"{(~same).sum()} customers differ in {column}:\n"
                f"{joined.loc[~same, [column, f'{column}_expected']].head(10)}"
            )


STAGING = ("stg_sales__order_lines", "stg_sales__returns", "stg_crm__customers", "stg_crm__interactions")
# The month-end history the marts step does not publish, kept from run to run like it.
HISTORY = (
    "int_customer_month_end_changes",
    "int_customer_month_end_orders",
    "int_customer_month_end_value",
    "int_customer_month_end_rank_counts",
    "int_customer_month_end_key_account",
    "int_customer_month_end_scores",
    "int_one_time_buyer_thresholds_history",
)
# The order facts, kept from run to run too.
ORDER_FACTS = (
    "int_orders__converted",
    "int_order_lines__valued",
    "int_orders__valued",
    "int_customer_order_days",
    "int_customer_order_history",
)


def _contents(settings: Settings) -> dict[str, list]:
    """Every staging, month-end history, order fact and mart row, leaving out when each
    file happened to be loaded."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        tables = (
            [f"staging.{t}" for t in STAGING]
            + [f"intermediate.{t}" for t in HISTORY + ORDER_FACTS]
            + [f"marts.{m}" for m in sorted(MARTS)]
        )
        loaded = {
            f"{schema}.{table}"
            for schema, table in con.execute(
                "SELECT table_schema, table_name FROM information_schema.columns WHERE column_name = 'loaded_at'"
            ).fetchall()
        }
        return {
            table: con.execute(
                f"SELECT * {'EXCLUDE (loaded_at)' if table in loaded else ''} FROM {table} ORDER BY ALL"
            ).fetchall()
            for table in tables
        }


def _recomputed(settings: Settings) -> tuple:
    """Where the run recomputed the month-end history from, and why."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute("SELECT recompute_from, reason FROM intermediate.int_history_recompute_from").fetchone()


def _order_facts_scope(settings: Settings) -> tuple[str, set[str], int]:
    """Why the run recomputed the order facts as it did, which orders it recomputed
    and how many orders the facts hold."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        (reason,) = con.execute("SELECT reason FROM intermediate.int_order_facts_scope").fetchone()
        recomputed = {o for (o,) in con.execute("SELECT order_id FROM intermediate.int_orders__recomputed").fetchall()}
        (orders,) = con.execute("SELECT count(*) FROM intermediate.int_orders__valued").fetchone()
        return reason, recomputed, orders


def _month_end(day: str) -> datetime.date:
    """The last day of the day's month."""
    return (pd.Timestamp(day) + pd.offsets.MonthEnd(0)).date()


def _csv_rows(folder) -> list[dict]:
    return [row for path in sorted(folder.glob("*.csv")) for row in pd.read_csv(path, dtype=str).to_dict("records")]


def test_an_incremental_run_on_new_batches_gives_what_a_full_build_gives(workdir, monkeypatch):
    landing = workdir / "landing"
    generate(landing, order_lines=3000, seed=11)
    # Hold back the last month of every table and run; then land it: the history is
    # recomputed from that month's end only.
    held = {}
    for path in sorted(landing.rglob("*.csv")):
        if path.name == sorted(path.parent.glob("*.csv"))[-1].name:
            held[path] = path.read_bytes()
            path.unlink()
    first = run_refresh(Settings.from_env())
    assert first.success, failure_messages(first)
    assert _recomputed(Settings.from_env())[1] == "no earlier build"
    assert _order_facts_scope(Settings.from_env())[0] == "no record of an earlier build"
    for path, content in held.items():
        path.write_bytes(content)
    last_month = sorted(held)[0].stem
    second = run_refresh(Settings.from_env())
    assert second.success, failure_messages(second)
    assert _recomputed(Settings.from_env()) == (_month_end(f"{last_month}-01"), "changed facts")
    reason, recomputed, counted = _order_facts_scope(Settings.from_env())
    assert reason == "changed orders only" and 0 < len(recomputed) < counted / 2

    # Then late and restated data in the middle of the history: an order line restated
    # in a batch named after all others, and again in a late batch named before them
    # (which loses); a restated FX rate; a return booked late for an older order.
    sales = landing / "sales"
    months = sorted(p.stem for p in (sales / "order_lines").glob("*.csv"))
    orders = pd.DataFrame(_csv_rows(sales / "orders")).set_index("order_id")
    completed = orders[orders["status"] == "completed"]
    lines_dir = sales / "order_lines"
    header, *rows = (lines_dir / f"{months[len(months) // 2]}.csv").read_text().splitlines()
    rows = [r for r in rows if r.split(",")[0] in completed.index]
    quantity = header.split(",").index("quantity")

    def restated(row: str, value: str) -> str:
        cells = row.split(",")
        cells[quantity] = value
        return ",".join(cells)

    (lines_dir / "9999-restated.csv").write_text("\n".join([header, restated(rows[0], "7")]) + "\n")
    (lines_dir / "0000-late.csv").write_text("\n".join([header, restated(rows[1], "9")]) + "\n")
    restated_day = completed.loc[rows[0].split(",")[0], "ordered_at"][:10]

    foreign = completed[
        (completed["currency"] != "CNY") & (completed["ordered_at"].str[:7] == months[len(months) // 3])
    ]
    rate_day, currency = foreign["ordered_at"].iloc[0][:10], foreign["currency"].iloc[0]
    (sales / "fx_rates" / "9999-restated.csv").write_text(
        f"rate_date,currency,rate_to_reporting\n{rate_day},{currency},1.2345\n"
    )

    late_order = completed[completed["ordered_at"].str[:7] == months[len(months) * 2 // 3]].index[0]
    late_line = next(r for r in _csv_rows(lines_dir) if r["order_id"] == late_order)
    returned_at = (pd.Timestamp(completed.loc[late_order, "ordered_at"]) + pd.Timedelta(days=3)).isoformat(sep=" ")
    (sales / "returns" / "9999-late.csv").write_text(
        "return_id,order_id,line_number,returned_at,quantity,refund_amount\n"
        f"RT99999999,{late_order},{late_line['line_number']},{returned_at},1,1.00\n"
    )

    third = run_refresh(Settings.from_env())
    assert third.success, failure_messages(third)
    assert _recomputed(Settings.from_env()) == (
        _month_end(min(restated_day, rate_day, returned_at[:10])),
        "changed facts",
    )
    # Only the orders those rows touch are recomputed: the restated line's order, the
    # late return's, those in the FX rate's currency on the day it now rules.
    reason, recomputed, counted = _order_facts_scope(Settings.from_env())
    fx_orders = foreign[(foreign["ordered_at"].str[:10] == rate_day) & (foreign["currency"] == currency)].index
    assert reason == "changed orders only"
    assert {rows[0].split(",")[0], late_order, *fx_orders} <= recomputed
    assert len(recomputed) < counted / 10, len(recomputed)
    incremental = _contents(Settings.from_env())

    monkeypatch.setenv("CCP_WAREHOUSE", str(workdir / "rebuilt.duckdb"))
    monkeypatch.setenv("CCP_PUBLISH_DIR", str(workdir / "rebuilt"))
    rebuilt = run_refresh(Settings.from_env())
    assert rebuilt.success, failure_messages(rebuilt)
    full = _contents(Settings.from_env())

    assert incremental.keys() == full.keys()
    for table in full:
        assert incremental[table] == full[table], table
    lines = {(r[0], r[1]): r for r in full["staging.stg_sales__order_lines"]}
    first_key, second_key = (tuple(r.split(",")[:2]) for r in rows[:2])
    # The later batch restates; the late batch named before the others does not.
    assert float(lines[(first_key[0], int(first_key[1]))][4]) == 7
    assert float(lines[(second_key[0], int(second_key[1]))][4]) != 9


def test_a_run_config_override_of_the_warehouse_reaches_ingest_dbt_the_gates_and_publish(workdir):
    """The launchpad's `resources: warehouse: config: path:` moves every step of the run."""
    from pipelines.report import RunReport

    generate(workdir / "landing", order_lines=1500, seed=4)
    settings = Settings.from_env()
    elsewhere = workdir / "elsewhere" / "override.duckdb"

    result = run_refresh(settings, resources={"warehouse": {"path": str(elsewhere)}})

    assert result.success, failure_messages(result)
    # Nothing went to the warehouse of the environment: not ingest, not dbt.
    assert not settings.warehouse.exists()
    with duckdb.connect(str(elsewhere), read_only=True) as con:
        loaded = con.execute("SELECT sum(rows_loaded) FROM raw.ingest_ledger").fetchone()[0]
        customers = con.execute("SELECT count(*) FROM marts.customer_value").fetchone()[0]
    assert loaded > 0 and customers > 0
    # Each gate validated that file (the default one does not exist to be read)...
    report = RunReport.from_result(result)
    assert {g.gate for g in report.gates} == {"raw", "staging", "predictions", "marts"}
    assert all(g.passed for g in report.gates)
    # ...and publish copied from it.
    with duckdb.connect(str(settings.publish_dir / "marts.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM customer_value").fetchone()[0] == customers


def test_the_launchpad_config_the_docs_show_is_valid_for_the_refresh_job(workdir):
    import re
    import textwrap

    import dagster as dg
    import yaml

    from pipelines.core.paths import PROJECT_ROOT
    from pipelines.definitions import build_definitions

    text = (PROJECT_ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    blocks = [textwrap.dedent(b) for b in re.findall(r"```yaml\n(.*?)\n\s*```", text, re.S)]
    configs = [yaml.safe_load(b) for b in blocks if "as_of_date" in b]
    assert len(configs) >= 2  # English and Chinese
    job = build_definitions(Settings.from_env()).resolve_job_def("refresh")
    for config in configs:
        dg.validate_run_config(job, config)


def test_a_bad_launchpad_date_fails_the_run_naming_the_run_config_before_dbt(workdir):
    generate(workdir / "landing", order_lines=300, seed=8)

    result = run_refresh(Settings.from_env(), resources={"run_parameters": {"as_of_date": "2025-02-30"}})

    assert not result.success
    messages = "\n".join(failure_messages(result))
    assert "run config resources.run_parameters.config.as_of_date='2025-02-30' is not a date" in messages
    started = {e.step_key for e in result.all_events if e.is_step_start}
    assert "dbt_staging" not in started and "dbt_marts" not in started, started


@REFRESHED
def test_every_published_column_has_a_description_and_a_bi_type_in_both_formats(refreshed):
    from pipelines.publish.release import PUBLISHED_TABLES, PUBLISHED_TYPES

    settings, *_ = refreshed
    with duckdb.connect(str(settings.publish_dir / "marts.duckdb"), read_only=True) as con:
        columns = con.execute(
            "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
            "WHERE database_name = current_database() AND NOT internal"
        ).fetchall()
        tables = dict(
            con.execute(
                "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        )
        parquet = {
            table: dict(
                con.execute(
                    f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                    f"'{settings.publish_dir / 'parquet' / (table + '.parquet')}')"
                ).fetchall()
            )
            for table in PUBLISHED_TABLES
        }
    assert set(tables) == set(PUBLISHED_TABLES)
    manifest = json.loads((settings.publish_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reporting_currency"] == "CNY"
    assert [t for t, comment in tables.items() if not comment] == []
    assert [(t, c) for t, c, _, comment in columns if not comment] == []
    assert [(t, c, kind) for t, c, kind, _ in columns if kind not in PUBLISHED_TYPES] == []
    assert [(t, c) for t, c, kind, _ in columns if parquet[t][c] != kind] == []


@REFRESHED
def test_each_dbt_asset_reports_its_columns_with_type_and_description(refreshed):
    _, first, *_ = refreshed
    schemas = {
        tuple(event.asset_key.path): event.step_materialization_data.materialization.metadata.get(
            "dagster/column_schema"
        )
        for event in first.all_events
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    }
    customer_value = {c.name: c for c in schemas[("marts", "customer_value")].schema.columns}
    assert customer_value["net_revenue_window"].type.startswith("DECIMAL")
    assert customer_value["orders_window"].type in {"BIGINT", "HUGEINT", "INTEGER"}
    assert "20/80" in customer_value["pareto_tier"].description
    predictions = {c.name: c for c in schemas[("marts", "customer_predictions")].schema.columns}
    assert predictions["p_alive"].type == "DOUBLE" and "BG/NBD" in predictions["p_alive"].description
    built = {"staging", "audit", "intermediate", "marts"}
    assert [key for key, schema in schemas.items() if key[0] in built and schema is None] == []


@REFRESHED
def test_the_second_run_publishes_the_kept_dbt_docs_page_without_running_dbt_docs(refreshed):
    settings, first, second, *_ = refreshed
    docs = {}
    for name, result in (("first", first), ("second", second)):
        (event,) = [
            e
            for e in result.all_events
            if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
            and tuple(e.asset_key.path) == ("published", "dbt_docs")
        ]
        docs[name] = event.step_materialization_data.materialization.metadata
    # Same project, same warehouse schema: the same key, so the page kept by the first run.
    assert docs["second"]["key"].value == docs["first"]["key"].value
    assert docs["second"]["reused"].value is True
    page = (settings.publish_dir / "models" / "index.html").read_text(encoding="utf-8")
    assert "customer_value" in page and "20/80" in page
