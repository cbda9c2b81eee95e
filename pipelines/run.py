"""`make run`: the refresh job on the embedded default, then a short summary.

Generates the demo data set first when the landing folder holds no files, runs every
asset in this process through Dagster (the run shows in `make dev`'s UI), and exits
non-zero with the failing step's message when anything fails.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time

import dagster as dg

from pipelines.warehouse import quiet_interpreter_shutdown
from pipelines.ingest.contract import TABLES
from pipelines.ingest.loader import landed_files
from pipelines.orchestration import REFRESH_JOB, as_of_run_config
from pipelines.report import gate_summary, publish_summary, summary
from pipelines.settings import Settings

DEFAULT_DEMO_ORDER_LINES = 200_000


def landing_is_empty(settings: Settings) -> bool:
    return not any(landed_files(settings.landing_dir, table) for table in TABLES)


def ensure_demo_data(settings: Settings, order_lines: int) -> None:
    if not landing_is_empty(settings):
        return
    from pipelines.demo import generate

    print(f"Landing folder {settings.landing_dir} is empty: generating {order_lines:,} demo order lines.")
    generate(settings.landing_dir, order_lines=order_lines, seed=7)


def _instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def run_refresh(
    settings: Settings,
    as_of_date: str | None = None,
    log_level: str = "WARNING",
    full_refresh: bool = False,
) -> dg.ExecuteInProcessResult:
    from pipelines.definitions import defs

    job = defs().resolve_job_def(REFRESH_JOB)
    run_config = as_of_run_config(as_of_date) if as_of_date else {}
    if full_refresh:
        parameters = run_config.setdefault("resources", {}).setdefault("run_parameters", {})
        parameters.setdefault("config", {})["full_refresh"] = True
    # Step logs go to the run's record (see `make dev`); the terminal gets the summary.
    run_config["loggers"] = {"console": {"config": {"log_level": log_level}}}
    with _instance() as instance:
        return job.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False)


def failure_messages(result: dg.ExecuteInProcessResult) -> list[str]:
    """What failed, in words: failed gates with their suite, expectation, column and
    counts, then the steps that failed."""
    messages = []
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                messages.append(
                    f"{evaluation.asset_key.to_user_string()} gate: {evaluation.description}"
                )
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            error = event.step_failure_data.error
            user = event.step_failure_data.user_failure_data
            while error is not None and error.cause is not None:
                error = error.cause  # the user's exception, not Dagster's wrapper
            text = (user.description if user and user.description else None) or (
                error.message.strip() if error else "failed"
            )
            messages.append(f"{event.step_key}: {text}")
    return messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of-date", help="reference date YYYY-MM-DD (default: CCP_AS_OF_DATE or latest order)")
    parser.add_argument(
        "--demo-order-lines",
        type=int,
        default=int(os.environ.get("CCP_DEMO_ORDER_LINES") or DEFAULT_DEMO_ORDER_LINES),
        help="size of the demo data generated when the landing folder is empty",
    )
    parser.add_argument("--verbose", action="store_true", help="show dbt's output as it runs")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental staging models from every raw row",
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    started = time.perf_counter()
    ensure_demo_data(settings, args.demo_order_lines)
    log_file = settings.warehouse.parent / "logs" / "refresh.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    print(f"Refreshing {settings.warehouse} from {settings.landing_dir} (dbt log: {log_file}) ...", flush=True)
    with log_file.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(
        sys.stdout if args.verbose else log
    ):
        result = run_refresh(
            settings,
            args.as_of_date,
            log_level=os.environ.get("CCP_LOG_LEVEL") or "WARNING",
            full_refresh=args.full_refresh,
        )
    print(summary(settings))
    print("\n".join(["", *gate_summary(settings, result.run_id), "", *publish_summary(settings, result.run_id)]))
    elapsed = time.perf_counter() - started
    if not result.success:
        print(f"\nRun {result.run_id} FAILED after {elapsed:.1f} s:", file=sys.stderr)
        for message in failure_messages(result):
            print(f"  {message}", file=sys.stderr)
        return 1
    print(f"\nRun {result.run_id} succeeded in {elapsed:.1f} s.")
    return 0


if __name__ == "__main__":
    exit_code = main()
    quiet_interpreter_shutdown()
    sys.exit(exit_code)
