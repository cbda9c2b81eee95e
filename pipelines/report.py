"""What `make run` prints after a run, from one structured result: the run's own record
(what each step materialized and what each gate decided), plus the headline read from
the marts it built."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from pipelines.checks.suites import GATES
from pipelines.core.engines import redact
from pipelines.core.outcomes import DBT_TESTS_CHECK, GateResult, gate_results
from pipelines.core.paths import dbt_docs_page
from pipelines.core.settings import Settings
from pipelines.core.warehouse import connect
from pipelines.publish.assets import ENGINE_MARTS
from pipelines.publish.release import ARCHIVE, DATABASE, MANIFEST, PARQUET


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


@dataclass
class RunReport:
    """One refresh, as its record tells it."""

    run_id: str
    success: bool
    # Metadata of each materialized asset, by asset key ("raw/orders", "published/marts").
    materialized: dict[str, dict[str, Any]] = field(default_factory=dict)
    gates: list[GateResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    # The landing freshness checks (non-blocking): (passed, description) per raw table.
    freshness: list[tuple[bool, str]] = field(default_factory=list)

    @classmethod
    def from_result(cls, result: dg.ExecuteInProcessResult) -> RunReport:
        materialized: dict[str, dict[str, Any]] = {}
        evaluations = []
        for event in result.all_events:
            if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
                materialization = event.event_specific_data.materialization
                materialized[materialization.asset_key.to_user_string()] = {
                    k: _plain(v) for k, v in materialization.metadata.items()
                }
            elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluations.append(event.event_specific_data)
        return cls(
            run_id=result.run_id,
            success=result.success,
            materialized=materialized,
            gates=gate_results(evaluations),
            failures=failure_messages(result),
            freshness=[(bool(e.passed), e.description or "") for e in evaluations if "freshness" in (e.metadata or {})],
        )

    @property
    def ingested(self) -> dict[str, dict[str, Any]]:
        return {k.removeprefix("raw/"): v for k, v in self.materialized.items() if k.startswith("raw/")}

    @property
    def published(self) -> dict[str, Any] | None:
        return self.materialized.get("published/marts")


def _innermost(error):
    """The first error of the chain that is not Dagster's wrapper: the one the
    pipeline raised, with its own words (not the lower-level error it wraps)."""
    while error is not None and error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    return error


def failure_messages(result: dg.ExecuteInProcessResult) -> list[str]:
    """What failed, in words: failed gates with their suite, expectation, column and
    counts, then the steps that failed, or the setting that stopped the run before any."""
    return event_failure_messages(result.all_events)


def event_failure_messages(events: Iterable[dg.DagsterEvent]) -> list[str]:
    """`failure_messages` from a run's events, as a run in process returns them or as
    the instance stores them (a run-failure sensor reads them there)."""
    events = list(events)
    messages = []
    for event in events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            # A failed warning (freshness) is not a failure: the summary lists it apart.
            blocking = evaluation.severity == dg.AssetCheckSeverity.ERROR
            if not evaluation.passed and blocking:
                kind = "dbt tests" if evaluation.check_name == DBT_TESTS_CHECK else "gate"
                messages.append(f"{evaluation.asset_key.to_user_string()} {kind}: {evaluation.description}")
    for event in events:
        if event.is_step_failure and event.step_failure_data:
            error = _innermost(event.step_failure_data.error)
            user = event.step_failure_data.user_failure_data
            text = (user.description if user and user.description else None) or (
                error.message.strip() if error else "failed"
            )
            messages.append(f"{event.step_key}: {text}")
        elif event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE:
            error = _innermost(getattr(event.event_specific_data, "error", None))
            messages.append(f"run setup: {error.message.strip() if error else 'a resource failed to start'}")
    return messages


def ingest_lines(report: RunReport) -> list[str]:
    if not report.ingested:
        return []
    lines = ["Raw tables this run (files loaded/skipped, rows read = loaded + quarantined):"]
    by_column: dict[str, int] = {}
    for table, meta in sorted(report.ingested.items()):
        lines.append(
            f"  raw.{table:<13} {meta.get('files_loaded', 0):>4} loaded {meta.get('files_skipped', 0):>4} skipped"
            f"  {meta.get('rows_read', 0):>11,} = {meta.get('rows_loaded', 0):>11,} + {meta.get('rows_quarantined', 0):,}"
        )
        for column, count in (meta.get("quarantined_by_column") or {}).items():
            by_column[f"{table}.{column}"] = count
    if by_column:
        lines.append("Quarantined rows by table and column (all in raw.quarantine):")
        top = sorted(by_column.items(), key=lambda item: (-item[1], item[0]))[:8]
        lines += [f"  {name}: {count:,}" for name, count in top]
    return lines


def gate_lines(report: RunReport, gates: tuple[str, ...] = GATES) -> list[str]:
    lines = []
    for gate in gates:
        results = [g for g in report.gates if g.gate == gate]
        if not results:
            lines.append(f"  {gate:<11} not run")
            continue
        lines.append(f"  {gate:<11} {sum(g.passed for g in results)}/{len(results)} suites passed")
        for result in results:
            if not result.passed:
                lines.append(f"    {result.description}")
            for row in result.report:
                if row.get("orphans"):
                    state = "waiting" if row.get("blocks_gate", True) else "counted, reported"
                    lines.append(f"    {state}: {row['orphans']:,} of {row['total']:,} {row['orphan_kind']}")
    return ["Quality gates (Great Expectations):", *lines]


def freshness_lines(report: RunReport) -> list[str]:
    if not report.freshness:
        return []
    stale = [description for passed, description in report.freshness if not passed]
    if not stale:
        return [f"Freshness: every raw table had a batch within the limit ({len(report.freshness)} checked)."]
    return ["WARNING, landed data is old (the run went on with what is there):", *(f"  {d}" for d in stale)]


def publish_lines(report: RunReport, publish_dir: Path) -> list[str]:
    published = report.published
    if published is not None and published.get("archived"):
        # A past date: archived beside the live set, which BI tools keep reading.
        publish_dir = publish_dir / ARCHIVE / published["as_of_date"]
        lines = [
            f"Archived release {published['release']} as of {published['as_of_date']} "
            "(earlier than the live release, which is unchanged):"
        ]
    elif published is not None:
        lines = [f"Published release {published['release']} (as of {published.get('as_of_date') or 'n/a'}):"]
    else:
        live = _live_manifest(publish_dir)
        if live is None:
            return ["Published: nothing yet."]
        lines = [
            f"Not published by this run; BI tools still read release {live['release_id']} from run {live['run_id']}:"
        ]
    lines.append(f"  DuckDB:   {_shown(publish_dir / DATABASE)}")
    lines.append(f"  Parquet:  {_shown(publish_dir / PARQUET)}/<table>.parquet")
    lines.append(f"  Manifest: {_shown(publish_dir / MANIFEST)}")
    docs = published.get("data_docs") if published else None
    if docs and Path(docs).exists():
        lines.append(f"  Data Docs: {_shown(Path(docs))}")
    if dbt_docs_page(publish_dir).exists():
        lines.append(f"  dbt docs:  {_shown(dbt_docs_page(publish_dir))}")
    return lines


def _live_manifest(publish_dir: Path) -> dict | None:
    """The manifest BI tools read now, as they read it."""
    path = publish_dir / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def model_lines(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
        [schema],
    ).fetchall()
    lines = []
    for (name,) in tables:
        rows = con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
        lines.append(f"  {schema}.{name:<32} {rows:>11,} rows")
    return lines


def headline(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What a manager reads first: concentration, tiers, quadrants, churn, key accounts."""
    summary = con.execute(
        """SELECT as_of_date, customers, revenue_top_customers, revenue_ranked_customers,
                  top_customers_revenue_share, profit_top_customers, profit_ranked_customers,
                  top_customers_profit_share, net_revenue_window
           FROM marts.pareto_summary"""
    ).fetchone()
    (as_of, customers, top_n, ranked, revenue_share, top_p, ranked_p, profit_share, revenue) = summary
    lines = [
        f"Core customers as of {as_of} ({customers:,} customers, window revenue {revenue or 0:,.0f}):",
        f"  Top {top_n:,} of {ranked:,} buying customers bring {_pct(revenue_share)} of window revenue;"
        f" top {top_p:,} of {ranked_p:,} profitable ones bring {_pct(profit_share)} of profit.",
    ]
    tiers = con.execute(
        """SELECT pareto_tier, count(*), sum(net_revenue_window) FROM marts.customer_value
           GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    lines.append("  Tiers:     " + "   ".join(f"{t} {n:,} ({_money(r)})" for t, n, r in tiers))
    quadrants = con.execute(
        """SELECT quadrant, customers, net_revenue_window, gross_margin FROM marts.quadrant_summary
           ORDER BY sort_order"""
    ).fetchall()
    lines.append("  Quadrants: " + "   ".join(f"{q} {n:,} (margin {_pct(m)})" for q, n, r, m in quadrants))
    churn = {
        status: (n, r, lost)
        for status, n, r, lost in con.execute(
            """SELECT churn_status, count(*), sum(net_revenue_window), sum(net_revenue_last_active_year)
               FROM marts.customer_value GROUP BY 1"""
        ).fetchall()
    }
    at_risk = churn.get("at_risk", (0, 0, 0))
    churned = churn.get("churned", (0, 0, 0))
    lines.append(
        f"  Churn:     {at_risk[0]:,} at risk carrying {_money(at_risk[1])} of window revenue;"
        f" {churned[0]:,} churned, who brought {_money(churned[2])} in their last active year."
    )
    keys = con.execute("SELECT count(*) FILTER (WHERE is_key_account), count(*) FROM marts.customer_value").fetchone()
    lines.append(f"  Key accounts: {keys[0]:,}")
    lines += core_customer_lines(con)
    if _exists(con, "marts", "churn_status_predictions") and _exists(con, "marts", "clv_model"):
        lines += prediction_lines(con)
    return lines


def prediction_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What the customer-base models expect, next to the churn rules (SPEC section 8)."""
    models = dict(con.execute("SELECT model, status FROM marts.clv_model").fetchall())
    if models.get("bg_nbd") != "converged":
        return [f"  Customer-base model (BG/NBD): not fitted ({models.get('bg_nbd', 'no model')})."]
    by_status = con.execute(
        "SELECT churn_status, mean_p_alive FROM marts.churn_status_predictions ORDER BY sort_order"
    ).fetchall()
    orders, revenue = con.execute(
        "SELECT sum(expected_orders_365d), sum(predicted_revenue_365d) FROM marts.customer_predictions"
    ).fetchone()
    spend = "" if revenue is None else f", predicted revenue {_money(revenue)}"
    return [
        "  Customer-base model (BG/NBD): mean P(alive) "
        + ", ".join(f"{status} {_pct(p)}" for status, p in by_status)
        + f"; next 365 days: {float(orders or 0):,.0f} repeat order days expected{spend}."
    ]


def core_customer_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Who the core customers are, and why the others slip away (SPEC section 7)."""
    columns = {
        name
        for (name,) in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_name = 'customer_value'"
        ).fetchall()
    }
    if not {"is_core_customer", "churn_reason"} <= columns:
        return []
    core, revenue, total = con.execute(
        """SELECT count(*) FILTER (WHERE is_core_customer),
                  coalesce(sum(net_revenue_window) FILTER (WHERE is_core_customer), 0),
                  nullif(sum(net_revenue_window) FILTER (WHERE net_revenue_window > 0), 0)
           FROM marts.customer_value"""
    ).fetchone()
    share = None if total is None else float(revenue) / float(total)
    lines = [
        f"  Core customers (tier A, active, loyal or advocates): {core:,}, bringing {_money(revenue)}"
        f" ({_pct(share)}) of window revenue."
    ]
    reasons = con.execute(
        """SELECT churn_reason,
                  count(*) FILTER (WHERE churn_status = 'at_risk') AS at_risk,
                  count(*) FILTER (WHERE churn_status = 'churned') AS churned,
                  coalesce(sum(net_revenue_window) FILTER (WHERE churn_status = 'at_risk'), 0) AS at_risk_revenue
           FROM marts.customer_value
           WHERE churn_reason IS NOT NULL
           GROUP BY churn_reason
           ORDER BY at_risk_revenue DESC, at_risk DESC, churned DESC, churn_reason
           LIMIT 4"""
    ).fetchall()
    if reasons:
        lines.append(
            "  Why they slip away (revenue at risk): "
            + "   ".join(f"{r} {a:,} at risk ({_money(m)}), {c:,} churned" for r, a, c, m in reasons)
        )
    return lines


def _pct(value) -> str:
    return "n/a" if value is None else f"{float(value):.1%}"


def _money(value) -> str:
    return f"{float(value or 0):,.0f}"


def engine_lines(settings: Settings) -> list[str]:
    """On another engine the marts live there: the summary reads the copy publish read
    back from it in this run (none when the run stopped before publishing)."""
    where = redact(settings.postgres_url) if settings.engine == "postgres" else settings.spark_master
    marts = settings.warehouse.parent / ENGINE_MARTS
    lines = warehouse_lines(marts)[:-1] if marts.exists() else []
    lines.append(f"Engine: {settings.engine} ({where}); ingest warehouse: {_shown(settings.warehouse)}")
    return lines


def warehouse_lines(warehouse: Path) -> list[str]:
    if not warehouse.exists():
        return [f"No warehouse at {warehouse} yet."]
    with connect(warehouse, read_only=True) as con:
        lines = []
        models = model_lines(con, "marts")
        if models:
            lines += ["Marts:", *models]
        if _exists(con, "marts", "pareto_summary") and _exists(con, "marts", "quadrant_summary"):
            lines += ["", *headline(con)]
    lines.append(f"Warehouse: {_shown(warehouse)}")
    return lines


def render(report: RunReport, settings: Settings) -> str:
    sections = [
        ingest_lines(report),
        warehouse_lines(settings.warehouse) if settings.engine == "duckdb" else engine_lines(settings),
        ["", *gate_lines(report)],
        ["", *freshness_lines(report)] if report.freshness else [],
        ["", *publish_lines(report, settings.publish_dir)],
    ]
    return "\n".join(line for section in sections for line in section)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
