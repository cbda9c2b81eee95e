"""The fixed overhead of a run with the Dagster instance on SQLite (the default) and on
PostgreSQL (CCP_DAGSTER_POSTGRES_URL): the tiny data set, `python -m pipelines.run` in a
fresh process and a fresh workspace each time, storages alternating.

    python -m bench.instance_storage [--repeats 3] [--order-lines 2000]

PostgreSQL 15 is started on 127.0.0.1 for the measurement (as tests/postgres.py does)
and stopped after. Prints, per storage, the median (min-max) of the process's wall
seconds and of the run's own duration as the instance recorded it (start to end).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _one_run(work: Path, landing: Path, postgres_url: str | None) -> tuple[float, float, int]:
    """Wall seconds of `make run`'s command, the run's recorded duration, and its events."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    shutil.copytree(landing, work / "landing")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    env.update(
        {
            "DAGSTER_HOME": str(work / "dagster_home"),
            "CCP_LANDING_DIR": str(work / "landing"),
            "CCP_WAREHOUSE": str(work / "warehouse.duckdb"),
            "CCP_PUBLISH_DIR": str(work / "published"),
            "CCP_DUCKDB_TEMP_DIR": str(work / "duckdb_tmp"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    if postgres_url:
        env["CCP_DAGSTER_POSTGRES_URL"] = postgres_url
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.run"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    probe = (
        "import dagster as dg\n"
        "with dg.DagsterInstance.get() as i:\n"
        "    [r] = i.get_run_records()\n"
        "    print(r.end_time - r.start_time, len(i.all_logs(r.dagster_run.run_id)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return wall, float(out[0]), int(out[1])


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--order-lines", type=int, default=2000)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from pipelines.demo import generate
    from tests.postgres import start_postgres, stop_postgres

    root = Path(tempfile.mkdtemp(prefix="ccp-instance-bench-"))
    os.chmod(root, 0o755)
    landing = root / "landing"
    generate(landing, order_lines=args.order_lines, seed=7)
    server = start_postgres(root / "pg")
    results: dict[str, list[tuple[float, float, int]]] = {"sqlite": [], "postgresql": []}
    try:
        for repeat in range(args.repeats):
            for storage in results:
                # A fresh database per PostgreSQL run, as a fresh DAGSTER_HOME is for SQLite.
                url = None
                if storage == "postgresql":
                    url = server.create_database(f"dagster_{repeat}").replace("postgresql://", "postgresql+psycopg2://")
                results[storage].append(_one_run(root / storage, landing, url))
                wall, run, events = results[storage][-1]
                print(f"{storage:<10} repeat {repeat + 1}: wall {wall:.2f} s, run {run:.2f} s, {events} events")
    finally:
        stop_postgres(server)
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n{args.order_lines:,} order lines, median (min-max) of {args.repeats}:")
    print("| storage | wall s (process) | run s (start to end) | events |")
    print("|---|---|---|---|")
    for storage, rows in results.items():
        walls, runs, events = zip(*rows, strict=True)
        print(f"| {storage} | {_summary(list(walls))} | {_summary(list(runs))} | {int(statistics.median(events))} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
