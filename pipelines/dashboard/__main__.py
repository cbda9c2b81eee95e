"""`make dashboard` (`python -m pipelines.dashboard`): serve the dashboard on
http://127.0.0.1:CCP_DASHBOARD_PORT (default 8501) until stopped with Ctrl-C.

Arguments after the command go to `streamlit run` as they are, e.g.
`python -m pipelines.dashboard --server.address 0.0.0.0` to serve other machines.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipelines.core.settings import Settings, SettingsError

APP = Path(__file__).with_name("app.py")


def command(port: int, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        # Nothing phones home, as with Dagster and dbt.
        "--browser.gatherUsageStats",
        "false",
        # Managers get the pages, not the developer menu.
        "--client.toolbarMode",
        "viewer",
        "--server.fileWatcherType",
        "none",
        *extra,
    ]


def main(argv: list[str] | None = None) -> int:
    extra = list(sys.argv[1:] if argv is None else argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"Dashboard on http://127.0.0.1:{settings.dashboard_port} reading {settings.publish_dir} (Ctrl-C stops it).",
        flush=True,
    )
    args = command(settings.dashboard_port, extra)
    os.execv(args[0], args)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
