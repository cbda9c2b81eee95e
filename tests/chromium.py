"""A headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for tests
that look at pages as a person would: load, wait for what was rendered, read the text,
click, take a screenshot.

The protocol is spoken over `websockets` (which Streamlit already brings), so no
browser driver or browser download is needed: the system's Chromium is enough.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from websockets.sync.client import connect


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


class Chromium:
    def __init__(self, executable: str, profile: Path, *, width: int = 1400, height: int = 1000) -> None:
        self.width, self.height = width, height
        profile.mkdir(parents=True, exist_ok=True)
        # A port file left by an earlier browser on this profile would point nowhere.
        (profile / "DevToolsActivePort").unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                executable,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--no-first-run",
                "--no-default-browser-check",
                "--lang=en-US",
                f"--window-size={width},{height}",
                f"--user-data-dir={profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._ids = itertools.count(1)
        self._closing = contextlib.ExitStack()
        try:
            port = self._devtools_port(profile / "DevToolsActivePort")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
                targets = json.loads(response.read())
            page = next(t for t in targets if t["type"] == "page")
            self.ws = self._closing.enter_context(connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=20))
            self.call("Page.enable")
            self.call("Runtime.enable")
            self._viewport(height)
        except BaseException:
            self.process.kill()
            raise

    def _devtools_port(self, file: Path, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.process.returncode}")
            if file.exists():
                first = file.read_text().splitlines()[:1]
                if first and first[0].isdigit():
                    return int(first[0])
            time.sleep(0.2)
        raise TimeoutError("chromium did not open its DevTools port")

    def call(self, method: str, timeout: float = 60, **params: Any) -> dict:
        message_id = next(self._ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _viewport(self, height: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride", width=self.width, height=height, deviceScaleFactor=1, mobile=False
        )

    def goto(self, url: str) -> None:
        self._viewport(self.height)
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 90, settle: float = 1.0) -> Any:
        """Wait until `expression` is truthy and stays so for `settle` seconds."""
        deadline = time.monotonic() + timeout
        since = None
        value = None
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                since = since or time.monotonic()
                if time.monotonic() - since >= settle:
                    return value
            else:
                since = None
            time.sleep(0.25)
        raise TimeoutError(f"waited {timeout:.0f}s for {expression}; page text: {self.text()[:1500]!r}")

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def screenshot(self, path: Path, *, scroller: str | None = None) -> Path:
        """A PNG of the whole page; `scroller` names the element that scrolls when the
        page keeps its own scroll area (the viewport grows to show all of it)."""
        if scroller:
            height = self.evaluate(
                f"(() => {{ const e = document.querySelector({json.dumps(scroller)}); return e ? e.scrollHeight : 0; }})()"
            )
            if height and height > self.height:
                self._viewport(int(height) + 40)
                time.sleep(1.5)
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        self._viewport(self.height)
        return path

    def close(self) -> None:
        try:
            self._closing.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
