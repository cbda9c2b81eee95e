"""The "whole floor": one hand-written DuckDB script (floor_all.sql) computing every
published mart that SQL computes, straight from the landing files, on one in-process
connection.

    compute(landing_dir, as_of_date=None, con=None, **settings) -> {mart name: DataFrame}

Marts: customer_value, pareto_curve, pareto_summary, quadrant_summary, churn_analysis,
customer_tier_history, tier_migration, profit_band_summary, segment_summary and
cohort_retention, with the rules of the dbt project (models/, macros/, seeds/) and SPEC
sections 4 and 7, the tier history included. It is the lower bound of the whole job: no
raw copy, no staging, no quality gates, no dbt, no publishing; plain set-based SQL that
reads each landed table once.

Left out: the customer-base models of SPEC section 8 (customer_predictions, clv_model,
churn_status_predictions, and the p_alive / expected_* / predicted_revenue_365d columns
of customer_value) come from a maximum-likelihood fit in Python, not from SQL.
customer_value carries no customer_name (the pipeline publishes it only when
publish_customer_names is on; it is off by default).

Settings are the dbt project's vars (dbt_project.yml), overridable by keyword. The input
is read as the floor reads it (`bench.baselines.floor.source`): a later batch wins per
key, clean input assumed (no quarantine). Amounts are DECIMAL(18,6), as staged by the
pipeline, so sums are exact and ties rank alike.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from bench.baselines.floor import source, statements
from pipelines.core.paths import PROJECT_ROOT
from pipelines.core.sql import quote_literal

SQL_FILE = Path(__file__).with_name("floor_all.sql")
SEEDS = PROJECT_ROOT / "dbt_project" / "seeds"

MARTS = (
    "customer_value",
    "pareto_curve",
    "pareto_summary",
    "quadrant_summary",
    "churn_analysis",
    "customer_tier_history",
    "tier_migration",
    "profit_band_summary",
    "segment_summary",
    "cohort_retention",
)

MONEY = "DECIMAL(18,6)"
# The columns the marts need, typed as the pipeline stages them.
COLUMNS: dict[str, dict[str, str]] = {
    "orders": {
        "order_id": "VARCHAR",
        "customer_id": "VARCHAR",
        "ordered_at": "TIMESTAMP",
        "channel": "VARCHAR",
        "currency": "VARCHAR",
        "status": "VARCHAR",
        "shipping_cost": MONEY,
    },
    "order_lines": {
        "order_id": "VARCHAR",
        "line_number": "BIGINT",
        "quantity": MONEY,
        "unit_price": MONEY,
        "discount_amount": MONEY,
        "unit_cost": MONEY,
    },
    "returns": {
        "return_id": "VARCHAR",
        "order_id": "VARCHAR",
        "line_number": "BIGINT",
        "returned_at": "TIMESTAMP",
        "quantity": MONEY,
        "refund_amount": MONEY,
    },
    "fx_rates": {"rate_date": "DATE", "currency": "VARCHAR", "rate_to_reporting": MONEY},
    "customers": {
        "customer_id": "VARCHAR",
        "customer_type": "VARCHAR",
        "industry": "VARCHAR",
        "region": "VARCHAR",
        "city": "VARCHAR",
        "created_at": "TIMESTAMP",
        "acquisition_channel": "VARCHAR",
        "referred_by_customer_id": "VARCHAR",
        "account_manager": "VARCHAR",
        "crm_group": "VARCHAR",
        "membership_level": "VARCHAR",
    },
    "interactions": {
        "interaction_id": "VARCHAR",
        "customer_id": "VARCHAR",
        "occurred_at": "TIMESTAMP",
        "channel": "VARCHAR",
        "interaction_type": "VARCHAR",
    },
}


def defaults() -> dict[str, object]:
    """The dbt project's vars: the pipeline's own defaults."""
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(project["vars"])


def _seed(name: str) -> str:
    return f"read_csv({quote_literal((SEEDS / f'{name}.csv').as_posix())}, header = true, all_varchar = true)"


def render(landing_dir: Path, as_of_date: date | None = None, **settings) -> str:
    values = defaults()
    unknown = set(settings) - set(values)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    values.update(settings)
    values.pop("as_of_date", None)
    sql = "\n".join(
        line for line in SQL_FILE.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("--")
    )
    for name, columns in COLUMNS.items():
        sql = sql.replace(f"@{name}@", source(landing_dir, name, columns))
    for name in ("quadrant_strategies", "churn_reasons", "profit_band_actions"):
        sql = sql.replace(f"@seed_{name}@", _seed(name))
    sql = sql.replace("@as_of@", f"DATE {quote_literal(as_of_date.isoformat())}" if as_of_date else "NULL")
    for name, value in values.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        sql = sql.replace(f"@{name}@", text.replace("'", "''"))
    return sql


def compute(
    landing_dir: Path, as_of_date: date | None = None, con: duckdb.DuckDBPyConnection | None = None, **settings
) -> dict[str, pd.DataFrame]:
    sql = render(Path(landing_dir), as_of_date, **settings)
    own = con is None
    con = con or duckdb.connect()
    try:
        for statement in statements(sql):
            con.execute(statement)
        return {name: con.execute(f"SELECT * FROM {name}").df() for name in MARTS}
    finally:
        if own:
            con.close()
