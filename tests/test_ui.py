"""`dagster dev` starts on 127.0.0.1 and its GraphQL API lists every asset, the
asset checks, the schedule and the sensor, as a data-platform engineer sees them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipelines.core.paths import PROJECT_ROOT

STARTUP_SECONDS = 180

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def dagster_dev(workdir: Path):
    home = workdir / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    port = _free_port()
    log = (workdir / "dagster_dev.log").open("w")
    # Its own session, so the whole process tree can be stopped at the end.
    process = subprocess.Popen(
        [
            Path(sys.executable).with_name("dagster"),
            "dev",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            str(PROJECT_ROOT / "workspace.yaml"),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # A pytest-xdist worker ignores SIGINT, and a child keeps ignored signals: give
        # `dagster dev` back its Ctrl-C, which the teardown below stops it with.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        yield port, process, workdir / "dagster_dev.log"
    finally:
        # Ctrl-C is what `dagster dev` shuts its webserver, daemon and code server down
        # on; SIGTERM left it running until a 30 s wait ran out.
        for sig, wait in ((signal.SIGINT, 20), (signal.SIGKILL, 30)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()


def test_dagster_dev_serves_the_whole_asset_graph(dagster_dev):
    port, process, log = dagster_dev
    query = "{ assetNodes { assetKey { path } hasAssetChecks } }"
    deadline = time.monotonic() + STARTUP_SECONDS
    nodes = None
    while time.monotonic() < deadline and process.poll() is None:
        try:
            nodes = _graphql(port, query)["data"]["assetNodes"]
            if nodes:
                break
        except (OSError, KeyError, TypeError, ValueError):
            pass
        time.sleep(2)
    assert nodes, f"no assets served; dagster dev log:\n{log.read_text()[-3000:]}"
    keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
    assert {"raw/orders", "staging/stg_sales__orders", "marts/customer_value"} <= keys

    repos = _graphql(
        port,
        "{ repositoriesOrError { ... on RepositoryConnection { nodes {"
        " schedules { name cronSchedule executionTimezone } sensors { name } } } } }",
    )["data"]["repositoriesOrError"]["nodes"]
    schedules = [s for r in repos for s in r["schedules"]]
    sensors = [s["name"] for r in repos for s in r["sensors"]]
    assert schedules == [{"name": "daily_refresh", "cronSchedule": "0 6 * * *", "executionTimezone": "Asia/Shanghai"}]
    assert "landing_sensor" in sensors
