"""Step timings of one pipeline run from the Dagster instance, as JSON:

    DAGSTER_HOME=... python -m bench.dagster_stats RUN_ID

Prints {"run_s", "steps": {step_key: seconds}, "stages": {stage: seconds}} where a
stage sums the steps of one kind: ingest (raw__<table>), the gates (<stage>_gate), dbt
per invocation (dbt_<stage>), publish, and anything else under its own key. Run in a
process of its own so that the benchmark's driver never imports Dagster.
"""

from __future__ import annotations

import json
import sys


def stage_of(step_key: str) -> str:
    if step_key.startswith("raw__"):
        return "ingest"
    if "gate" in step_key:
        return step_key  # raw_gate, staging_gate, marts_gate
    if step_key.startswith("dbt_"):
        return step_key  # dbt_staging, dbt_marts
    if "publish" in step_key:
        return "publish"
    return step_key


def step_timings(run_id: str) -> dict:
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        run = instance.get_run_stats(run_id)
        steps = {}
        for stat in instance.get_run_step_stats(run_id):
            if stat.start_time is not None and stat.end_time is not None:
                steps[stat.step_key] = round(stat.end_time - stat.start_time, 3)
    stages: dict[str, float] = {}
    for key, seconds in steps.items():
        stage = stage_of(key)
        stages[stage] = round(stages.get(stage, 0.0) + seconds, 3)
    run_s = round(run.end_time - run.start_time, 3) if run.start_time and run.end_time else None
    return {"run_s": run_s, "steps": steps, "stages": stages}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m bench.dagster_stats RUN_ID", file=sys.stderr)
        return 2
    print(json.dumps(step_timings(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
