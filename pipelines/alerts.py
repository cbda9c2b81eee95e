"""Failure alerts: a JSON message to a webhook (CCP_ALERT_WEBHOOK_URL) when a run fails,
whether the daemon started it (the run-failure sensor) or `make run` did (in process,
no daemon). The message is always logged, sent or not.

The message carries the run id, the job, the failed step, what failed in words (the
gate's result or the error), a link to the run in the Dagster UI, and a `text` field
that Slack- and Teams-style incoming webhooks show as it is."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable

import dagster as dg

from pipelines.core.settings import Settings
from pipelines.report import event_failure_messages

LOGGER = logging.getLogger("pipelines.alerts")
ATTEMPTS = 4
# Seconds before the second attempt; doubled before each later one (1, 2, 4).
FIRST_BACKOFF = 1.0
TIMEOUT = 10.0


def failed_step(events: Iterable[dg.DagsterEvent]) -> str | None:
    """The first step that failed, or None when the run stopped before any step."""
    for event in events:
        if event.is_step_failure:
            return event.step_key
    return None


def run_url(ui_url: str, run_id: str) -> str:
    return f"{ui_url.rstrip('/')}/runs/{run_id}"


def failure_alert(run_id: str, job: str, events: Iterable[dg.DagsterEvent], ui_url: str) -> dict:
    """The alert for a failed run, from the run's own events."""
    events = list(events)
    messages = event_failure_messages(events) or ["the run failed before any step (see the run's log)"]
    step = failed_step(events)
    link = run_url(ui_url, run_id)
    where = f" at step {step}" if step else ""
    text = f"Core customers: run {run_id[:8]} of job {job} FAILED{where}: {messages[0]}"
    if len(messages) > 1:
        text += f" (+{len(messages) - 1} more)"
    return {
        "text": f"{text}\n{link}",
        "status": "FAILURE",
        "run_id": run_id,
        "job": job,
        "failed_step": step,
        "message": messages[0],
        "messages": messages,
        "run_url": link,
    }


def send_alert(
    alert: dict,
    webhook_url: str,
    *,
    attempts: int = ATTEMPTS,
    first_backoff: float | None = None,
    log: Callable[[str], None] | None = None,
) -> bool:
    """Log the alert, then POST it as JSON to the webhook (when one is set), retrying with
    back-off. True when the webhook took it; a webhook that stays down never fails the
    caller: the alert is in the log."""
    log = log or LOGGER.error
    log(f"Run failure alert: {json.dumps(alert, ensure_ascii=False)}")
    if not webhook_url:
        return False
    body = json.dumps(alert, ensure_ascii=False).encode("utf-8")
    delay = FIRST_BACKOFF if first_backoff is None else first_backoff
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            webhook_url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                if 200 <= response.status < 300:
                    return True
                problem = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            problem = str(getattr(exc, "reason", exc))
        # The URL may carry a token: name the attempt, not the address.
        LOGGER.warning("Alert webhook attempt %d of %d failed: %s", attempt, attempts, problem)
        if attempt < attempts:
            time.sleep(delay)
            delay *= 2
    log(f"Alert webhook did not take the alert after {attempts} attempts; it is only in this log.")
    return False


def failure_alert_sensor(settings: Settings) -> dg.RunFailureSensorDefinition:
    """Alerts on every failed run of this code location (the daemon evaluates it)."""

    @dg.run_failure_sensor(
        name="failure_alert",
        description=(
            "Posts a JSON alert (run, job, failed step, what failed, link) to CCP_ALERT_WEBHOOK_URL "
            "when a run fails; always logs it."
        ),
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def failure_alert_sensor(context: dg.RunFailureSensorContext) -> None:
        run = context.dagster_run
        events = [
            entry.dagster_event for entry in context.instance.all_logs(run.run_id) if entry.dagster_event is not None
        ]
        alert = failure_alert(run.run_id, run.job_name, events, settings.dagster_ui_url)
        send_alert(alert, settings.alert_webhook_url, log=context.log.error)

    return failure_alert_sensor
