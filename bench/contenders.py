"""The floor, floor_all and pandas contenders as commands, so each runs in its own
measured process:

    python -m bench.contenders floor|floor_all|pandas LANDING_DIR [--tiers-out FILE.parquet]

Computes the baseline's marts from the landing files (customer_value and pareto_summary;
floor_all: every mart SQL computes) and prints one JSON line (rows, as_of_date, seconds
spent computing after the imports).
`--tiers-out` writes customer_id, pareto_tier and as_of_date per customer, for the
benchmark's agreement check; timed runs leave it out.

The floors are the fastest this machine allows: their DuckDB connection keeps DuckDB's own
memory limit (80% of RAM) unless CCP_DUCKDB_MEMORY_LIMIT is set, and uses every core
unless CCP_DUCKDB_THREADS is set; CCP_DUCKDB_TEMP_DIR is where it spills.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def _connect():
    import duckdb

    config: dict[str, str | int] = {
        "threads": int(os.environ.get("CCP_DUCKDB_THREADS") or os.cpu_count() or 1),
    }
    if os.environ.get("CCP_DUCKDB_MEMORY_LIMIT"):
        config["memory_limit"] = os.environ["CCP_DUCKDB_MEMORY_LIMIT"]
    if os.environ.get("CCP_DUCKDB_TEMP_DIR"):
        Path(os.environ["CCP_DUCKDB_TEMP_DIR"]).mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = os.environ["CCP_DUCKDB_TEMP_DIR"]
    return duckdb.connect(config=config)


def _floor(landing: Path):
    from bench.baselines import floor

    con = _connect()
    try:
        return floor.compute(landing, con=con)
    finally:
        con.close()


def _floor_all(landing: Path):
    from bench.baselines import floor_all

    con = _connect()
    try:
        return floor_all.compute(landing, con=con)
    finally:
        con.close()


def _pandas(landing: Path):
    from bench.baselines import pandas_rules

    return pandas_rules.compute(landing)


CONTENDERS = {"floor": _floor, "floor_all": _floor_all, "pandas": _pandas}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.contenders", description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=sorted(CONTENDERS))
    parser.add_argument("landing_dir", type=Path)
    parser.add_argument("--tiers-out", type=Path, help="write customer_id, pareto_tier, as_of_date as Parquet")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = CONTENDERS[args.contender](args.landing_dir)
    compute_s = time.perf_counter() - started
    cv = result["customer_value"]
    if args.tiers_out:
        tiers = cv[["customer_id", "pareto_tier", "as_of_date"]].copy()
        tiers["customer_id"] = tiers["customer_id"].astype(str)
        tiers["pareto_tier"] = tiers["pareto_tier"].astype(str)
        tiers["as_of_date"] = tiers["as_of_date"].astype("datetime64[s]").dt.strftime("%Y-%m-%d")
        tiers.to_parquet(args.tiers_out, index=False)
    as_of = cv["as_of_date"].iloc[0] if len(cv) else None
    print(
        json.dumps(
            {
                "contender": args.contender,
                "customers": len(cv),
                "as_of_date": str(as_of)[:10] if as_of is not None else None,
                "compute_s": round(compute_s, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
