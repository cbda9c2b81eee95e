"""Deterministic demo data: sales and CRM batches that follow the raw data contract.

The numbers tell a story in which every business rule has something to find:

* customers arrive over the whole period; each has a heavy-tailed (lognormal) weight
  that drives both how often and how much they buy, so that a fifth of the customers
  bring most of the revenue; big customers buy below list, so bring little margin;
* some customers stop ordering (churn), and those often complained shortly before
  their last order; some buy once; some are CRM prospects who never order; a few
  order without CRM knowing them;
* each churn signal has customers of its own: a few buy mostly at deep discounts
  (about a third off list) or send much of what they buy back, and leave more often;
  some churned customers order less in their last year before leaving; lapsed
  customers mostly lose touch with CRM, but some are still called near the end;
* a tenth were referred by an earlier customer; a few CRM rows are restated in a
  later batch; some customers place small, frequent orders that cost more to serve;
  some lines are sold at a low or negative margin, some discounted, some returned;
* orders come in CNY and, from foreign customers, in USD or EUR with daily rates.

Everything is drawn with numpy from one seed, a separate stream per table (so that a
change to one table's draws leaves the others alone), and written by DuckDB.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np

from pipelines.demo import crm, sales
from pipelines.demo.bad_rows import inject_bad_rows
from pipelines.demo.draws import Period
from pipelines.demo.population import simulate_population
from pipelines.demo.writer import READABLE_SUFFIXES, BatchWriter, fixed_point, identifier
from pipelines.ingest.contract import TABLES

LINES_PER_CUSTOMER = 40
MIN_CUSTOMERS = 30

CUSTOMER_ID = identifier("C", 7)
ORDER_ID = identifier("SO", 9)
RETURN_ID = identifier("RT", 8)
INTERACTION_ID = identifier("CI", 9)
PRODUCT_ID = identifier("P", 5)
MONEY = fixed_point(2)  # generated as integer cents
RATE = fixed_point(4)  # generated as integer ten-thousandths

# How generated columns become contract text; a column not listed is cast as it is.
RENDERINGS = {
    "orders": {"order_id": ORDER_ID, "customer_id": CUSTOMER_ID, "shipping_cost": MONEY},
    "order_lines": {
        "order_id": ORDER_ID,
        "product_id": PRODUCT_ID,
        "unit_price": MONEY,
        "discount_amount": MONEY,
        "unit_cost": MONEY,
    },
    "returns": {"return_id": RETURN_ID, "order_id": ORDER_ID, "refund_amount": MONEY},
    "fx_rates": {"rate_to_reporting": RATE},
    "customers": {"customer_id": CUSTOMER_ID, "referred_by_customer_id": CUSTOMER_ID},
    "interactions": {"interaction_id": INTERACTION_ID, "customer_id": CUSTOMER_ID},
}

STREAMS = ("population", "orders", "lines", "returns", "fx_rates", "customers", "interactions", "bad_rows")


def _streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)}


def generate(
    out_dir: str | Path,
    order_lines: int = 200_000,
    seed: int = 7,
    fmt: str = "csv",
    end_date: date = date(2025, 12, 31),
    years: int = 4,
    bad_rows: int = 0,
) -> dict:
    """Write a demo landing folder and return a summary of what was written.

    Layout as the contract: `<out_dir>/<source>/<table>/<YYYY-MM>.<fmt>`, one file per
    calendar month from `years` before `end_date` up to it, for every table (header
    only when a month has no rows). About one customer per 40 order lines (at least
    30) and 2.5 lines per order; `order_lines` is exact unless it is too small to
    give every ordering customer its orders. `bad_rows` extra rows break the rules
    of SPEC section 3 (see `bad_rows.KINDS`). The same arguments (and library
    versions) give byte-identical files.

    Refuses to write into a table folder that already holds batch files: landed
    files are immutable, and a mix of two runs would not be a consistent data set.
    """
    started = time.perf_counter()
    if order_lines < 1:
        raise ValueError(f"order_lines must be at least 1, not {order_lines}")
    if years < 1:
        raise ValueError(f"years must be at least 1, not {years}")
    if bad_rows < 0:
        raise ValueError(f"bad_rows must not be negative, not {bad_rows}")
    writer = BatchWriter(Path(out_dir), fmt, RENDERINGS)
    try:
        for table in TABLES:
            folder = writer.folder(table)
            if folder.is_dir() and any(p.suffix.lower() in READABLE_SUFFIXES for p in folder.iterdir()):
                raise FileExistsError(f"{folder} already holds batch files; write into an empty folder")

        period = Period.ending(end_date, years)
        rng = _streams(seed)
        n_customers = max(MIN_CUSTOMERS, round(order_lines / LINES_PER_CUSTOMER))
        people = simulate_population(period, n_customers, rng["population"])
        orders, orders_table = sales.simulate_orders(period, people, order_lines, rng["orders"])
        lines, lines_table = sales.simulate_lines(period, people, orders, order_lines, rng["lines"])
        tables = {
            "orders": orders_table,
            "order_lines": lines_table,
            "returns": sales.simulate_returns(period, people, orders, lines, rng["returns"]),
            "fx_rates": sales.simulate_fx_rates(period, rng["fx_rates"]),
            "customers": crm.customer_rows(period, people, rng["customers"]),
            "interactions": crm.simulate_interactions(period, people, order_lines, rng["interactions"]),
        }
        del orders, lines
        injected = inject_bad_rows(bad_rows, tables, writer, rng["bad_rows"])

        written = {}
        for table in TABLES:
            bad = injected.get(table.name)
            n_bad = bad.num_rows if bad is not None else 0
            files = writer.write(table, tables[table.name], period.months, bad)
            rows = tables[table.name].num_rows + n_bad
            written[table.qualified] = {"rows": rows, "files": files, "bad_rows": n_bad}
    finally:
        writer.close()

    n_crm = int(people.in_crm.sum())
    return {
        "out_dir": str(writer.out_dir),
        "format": fmt,
        "seed": seed,
        "tables": written,
        "customers": {
            "total": people.size,
            "in_crm": n_crm,
            "ordering": int(people.ordering.sum()),
            "prospects": int((~people.ordering).sum()),
            "unknown_to_crm": people.size - n_crm,
            "restated_in_crm": tables["customers"].num_rows - n_crm,
        },
        "date_range": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "elapsed_seconds": round(time.perf_counter() - started, 3),
    }
