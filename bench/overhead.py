"""Where the pipeline's fixed time goes: the cost of starting its process (interpreter,
imports, building the Dagster definitions), measured each in a fresh process, and the
split of a dbt step into dbt's own work ("Finished running ... in N s" in the run's log)
and everything around it (starting the dbt process, loading the manifest, dagster-dbt
streaming dbt's events into Dagster)."""

from __future__ import annotations

import re
import statistics
import sys
from collections.abc import Mapping
from pathlib import Path

from bench import measure

ROOT = Path(__file__).resolve().parent.parent

# name: Python code run with `python -c`; each line costs what it adds to the one before
# only roughly (imports overlap), so they are reported as they are, not subtracted.
STARTUP_PROBES: dict[str, str] = {
    "python": "pass",
    "import_duckdb": "import duckdb",
    "import_pandas": "import pandas",
    "import_dagster": "import dagster",
    "import_dagster_dbt": "import dagster_dbt",
    "import_great_expectations": "import great_expectations",
    "import_pipelines_run": "import pipelines.run",
    "build_definitions": "import pipelines.run\nfrom pipelines.definitions import defs\ndefs().resolve_job_def('refresh')",
}


def dbt_executable() -> str:
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def startup_costs(env: Mapping[str, str], repeats: int = 3) -> dict[str, dict]:
    """Median wall seconds and peak RSS of each probe in a fresh process, plus
    `dbt --version` (the dbt CLI starting and exiting)."""
    probes = {name: [sys.executable, "-c", code] for name, code in STARTUP_PROBES.items()}
    probes["dbt_cli_start"] = [dbt_executable(), "--version"]
    out = {}
    for name, command in probes.items():
        runs = [measure.run(command, env=env, cwd=ROOT) for _ in range(repeats)]
        failed = [r for r in runs if r.exit_code]
        out[name] = {
            "wall_s": round(statistics.median(r.wall_s for r in runs), 3),
            "peak_rss_mib": round(statistics.median(r.peak_rss_mib for r in runs), 1),
            "ok": not failed,
        }
    return out


FINISHED = re.compile(r"Finished running .*? in .*?\(([\d.]+)s\)")


def dbt_exec_seconds(log: Path) -> list[float]:
    """dbt's own elapsed time per invocation, in order, from the run's log."""
    if not log.exists():
        return []
    return [float(m.group(1)) for m in FINISHED.finditer(log.read_text(encoding="utf-8", errors="replace"))]
