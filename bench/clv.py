"""Time the customer-base models step (pipelines/predict) on its own.

    python -m bench.clv --customers 250000 2500000        # simulated customers
    python -m bench.clv --warehouse path/to/warehouse.duckdb  # a warehouse a run built

Simulated customers follow the BG/NBD story with the CDNOW estimates (purchase rate
lambda ~ Gamma(r, alpha), drop-out probability p ~ Beta(a, b) after each purchase),
first orders spread over five years and times on a whole-day grid as the warehouse
has them; mean repeat values follow the Gamma-Gamma model. The holdout summary is the
same as the main one, so the holdout refit costs what it would on real data.

Each case runs in its own process, measured from outside (wall time and peak memory
of the process, bench.measure). Figures go to stdout as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench import measure

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}
DAYS_PER_WEEK = 7
HISTORY_DAYS = 5 * 365


def simulate(customers: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age_days = rng.integers(0, HISTORY_DAYS, customers)
    rate = rng.gamma(CDNOW["r"], 1 / CDNOW["alpha"], customers) / DAYS_PER_WEEK  # per day
    drop = rng.beta(CDNOW["a"], CDNOW["b"], customers)
    x = np.zeros(customers, dtype=np.int64)
    last = np.zeros(customers)
    now = np.zeros(customers)
    alive = np.ones(customers, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1 / np.maximum(rate[idx], 1e-12))
        inside = now[idx] <= age_days[idx]
        alive[idx[~inside]] = False
        bought = idx[inside]
        x[bought] += 1
        last[bought] = now[bought]
        alive[bought[rng.random(bought.size) < drop[bought]]] = False
    # Order days: a whole-day grid, several purchases on one day make one.
    recency_days = np.floor(last).astype(np.int64)
    value = rng.gamma(CDNOW["q"], 1 / CDNOW["v"], customers)
    mean_value = np.where(x > 0, rng.gamma(CDNOW["p"] * np.maximum(x, 1), 1 / (value * np.maximum(x, 1))), np.nan)
    return pd.DataFrame(
        {
            "customer_id": [f"S{i:08d}" for i in range(customers)],
            "repeat_order_days": x,
            "recency_units": recency_days / DAYS_PER_WEEK,
            "age_units": age_days / DAYS_PER_WEEK,
            "mean_repeat_order_value": mean_value * 100,
        }
    )


def build_warehouse(path: Path, customers: int) -> None:
    frame = simulate(customers)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA intermediate; CREATE SCHEMA marts")
        con.execute("CREATE TABLE intermediate.int_run_parameters AS SELECT DATE '2025-12-31' AS as_of_date")
        con.register("simulated", frame)
        con.execute(
            """CREATE TABLE intermediate.int_customer_clv_inputs AS
               SELECT *, repeat_order_days AS calibration_repeat_order_days,
                      recency_units AS calibration_recency_units, age_units AS calibration_age_units,
                      0 AS holdout_repeat_order_days, 7 AS time_unit_days
               FROM simulated"""
        )


def run_step(warehouse: Path) -> dict:
    """The step as a run makes it (in this process): read, fit twice, write."""
    from pipelines.predict.estimate import Settings, estimate

    start = time.perf_counter()
    with duckdb.connect(str(warehouse), config={"memory_limit": "1GB", "threads": 2}) as con:
        outcome = estimate(con, Settings(min_repeat_customers=20, holdout_days=182))
        distinct = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT repeat_order_days, recency_units, age_units "
            "FROM intermediate.int_customer_clv_inputs)"
        ).fetchone()[0]
    return {
        "step_s": round(time.perf_counter() - start, 2),
        "customers": outcome.customers,
        "distinct_summaries": distinct,
        "status": outcome.status,
        "bg_nbd": outcome.bg_nbd.params if outcome.bg_nbd else None,
        "gamma_gamma": outcome.gamma_gamma.params if outcome.gamma_gamma else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="*", default=[250_000, 2_500_000])
    parser.add_argument("--warehouse", type=Path, help="time the step on this warehouse instead")
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        args.out.write_text(json.dumps(run_step(args.inside)))
        return
    cases: list[tuple[str, Path]] = []
    with tempfile.TemporaryDirectory(prefix="bench-clv-") as tmp:
        if args.warehouse:
            cases.append((str(args.warehouse), args.warehouse))
        else:
            for n in args.customers:
                path = Path(tmp) / f"clv-{n}.duckdb"
                build_warehouse(path, n)
                cases.append((f"simulated {n:,} customers", path))
        for name, path in cases:
            out = Path(tmp) / "out.json"
            log = Path(tmp) / "step.log"
            m = measure.run([sys.executable, "-m", "bench.clv", "--inside", str(path), "--out", str(out)], log=log)
            if m.exit_code != 0:
                raise SystemExit(f"{name}: the step failed:\n{log.read_text()[-3000:]}")
            step = json.loads(out.read_text())
            print(
                json.dumps(
                    {"case": name, "process_wall_s": round(m.wall_s, 2), "peak_rss_mib": round(m.peak_rss_mib), **step}
                )
            )


if __name__ == "__main__":
    main()
