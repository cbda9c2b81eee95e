"""The short human summary `make run` prints, read from the warehouse after a run."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipelines.ingest.contract import TABLES
from pipelines.ingest.loader import LEDGER, QUARANTINE
from pipelines.settings import Settings
from pipelines.warehouse import connect


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def ingest_summary(con: duckdb.DuckDBPyConnection) -> list[str]:
    lines = ["Raw tables (files, rows read = loaded + quarantined):"]
    for table in TABLES:
        files, read, loaded, quarantined = con.execute(
            f"""SELECT count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                       coalesce(sum(rows_quarantined), 0)
                FROM {LEDGER} WHERE table_name = ?""",
            [table.name],
        ).fetchone()
        lines.append(
            f"  raw.{table.name:<13} {files:>4} files  {read:>11,} = {loaded:>11,} + {quarantined:,}"
        )
    reasons = con.execute(
        f"""SELECT table_name, column_name, count(*) AS n FROM {QUARANTINE}
            GROUP BY ALL ORDER BY n DESC, table_name, column_name LIMIT 8"""
    ).fetchall()
    if reasons:
        lines.append(f"Quarantined rows by table and column (all in {QUARANTINE}):")
        lines += [f"  {t}.{c}: {n:,}" for t, c, n in reasons]
    return lines


def model_summary(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
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
    lines.append(
        "  Quadrants: " + "   ".join(f"{q} {n:,} (margin {_pct(m)})" for q, n, r, m in quadrants)
    )
    churn = dict(
        (status, (n, r, lost))
        for status, n, r, lost in con.execute(
            """SELECT churn_status, count(*), sum(net_revenue_window), sum(net_revenue_last_active_year)
               FROM marts.customer_value GROUP BY 1"""
        ).fetchall()
    )
    at_risk = churn.get("at_risk", (0, 0, 0))
    churned = churn.get("churned", (0, 0, 0))
    lines.append(
        f"  Churn:     {at_risk[0]:,} at risk carrying {_money(at_risk[1])} of window revenue;"
        f" {churned[0]:,} churned, who brought {_money(churned[2])} in their last active year."
    )
    keys = con.execute(
        "SELECT count(*) FILTER (WHERE is_key_account), count(*) FROM marts.customer_value"
    ).fetchone()
    lines.append(f"  Key accounts: {keys[0]:,}")
    return lines


def _pct(value) -> str:
    return "n/a" if value is None else f"{float(value):.1%}"


def _money(value) -> str:
    return f"{float(value or 0):,.0f}"


def summary(settings: Settings) -> str:
    if not settings.warehouse.exists():
        return f"No warehouse at {settings.warehouse} yet."
    with connect(settings.warehouse, read_only=True) as con:
        lines = ingest_summary(con) if _exists(con, "raw", "ingest_ledger") else []
        models = model_summary(con, "marts")
        if models:
            lines.append("Marts:")
            lines += models
        if _exists(con, "marts", "pareto_summary") and _exists(con, "marts", "quadrant_summary"):
            lines.append("")
            lines += headline(con)
    lines.append(f"Warehouse: {_shown(settings.warehouse)}")
    return "\n".join(lines)


def gate_summary(settings: Settings, run_id: str) -> list[str]:
    from pipelines.checks.gates import gate_results_dir

    lines = []
    for stage in ("raw", "staging", "marts"):
        path = gate_results_dir(settings, run_id) / f"{stage}.json"
        if not path.exists():
            lines.append(f"  {stage:<8} not run")
            continue
        records = json.loads(path.read_text(encoding="utf-8"))
        passed = sum(r["success"] for r in records)
        lines.append(f"  {stage:<8} {passed}/{len(records)} suites passed")
        for record in records:
            lines += [f"    {record['suite']}: {failure}" for failure in record["failed"]]
            for row in record.get("report", []):
                if row.get("orphans"):
                    state = "waiting" if row.get("blocks_gate", True) else "counted, reported"
                    lines.append(f"    {state}: {row['orphans']:,} of {row['total']:,} {row['orphan_kind']}")
    return ["Quality gates (Great Expectations):", *lines]


def publish_summary(settings: Settings, run_id: str) -> list[str]:
    from pipelines.checks.gates import quality_site
    from pipelines.publish.release import current_release

    release = current_release(settings.publish_dir)
    lines = []
    if release is None:
        lines.append("Published: nothing yet.")
    elif release.manifest["run_id"] == run_id:
        lines.append(f"Published release {release.release_id} (as of {release.manifest['as_of_date']}):")
    else:
        lines.append(
            f"Not published by this run; BI tools still read release {release.release_id} "
            f"from run {release.manifest['run_id']}:"
        )
    if release is not None:
        lines.append(f"  DuckDB:   {_shown(settings.publish_dir / 'marts.duckdb')}")
        lines.append(f"  Parquet:  {_shown(settings.publish_dir / 'parquet')}/<table>.parquet")
        lines.append(f"  Manifest: {_shown(settings.publish_dir / 'manifest.json')}")
    site = quality_site(settings) / "index.html"
    if site.exists():
        lines.append(f"  Data Docs: {_shown(site)}")
    return lines


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
