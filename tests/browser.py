"""Headless Chromium driven over the DevTools protocol on a pipe (no extra package).

``Browser.open(path)`` loads a local HTML file (``Browser.visit(url)`` any page) and records
what a reader's browser would report: console errors, uncaught exceptions, failed loads, and
every request it made. ``Page.click`` presses the mouse where an element is, as a person
would, so menus and double-clicks behave as they do for people.
Chromium comes from the Debian package ``chromium``; tests skip when it is absent.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MISSING = (
    "headless Chromium is not installed (Debian: apt-get install chromium); "
    "the report browser check did not run"
)


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable on PATH, if any."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


class Browser:
    """One headless Chromium process; use as a context manager."""

    def __init__(self, executable: str, *, width: int = 1280, height: int = 900) -> None:
        # Chromium's helpers may still be writing to the profile as it is removed.
        self._profile = tempfile.TemporaryDirectory(
            prefix="smurf-chromium-", ignore_cleanup_errors=True
        )
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_pipes() -> None:  # in the child: DevTools reads fd 3, writes fd 4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self._process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                # Offline and quiet: no update, sync or component downloads in the background.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile.name}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=wire_pipes,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._ids = itertools.count(1)
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        os.close(self._to_browser)
        self._profile.cleanup()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_browser, 65536):
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message and message["id"] in self._replies:
                    self._replies[message["id"]].put(message)
                else:
                    self.events.append(message)

    def call(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None
    ) -> dict[str, Any]:
        """Send one DevTools command and wait for its result."""
        message_id = next(self._ids)
        self._replies[message_id] = queue.Queue()
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        try:
            reply = self._replies[message_id].get(timeout=60)
        finally:
            del self._replies[message_id]
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return dict(reply.get("result", {}))

    def open(self, path: Path, *, settle_s: float = 1.5, scripts: bool = True) -> Page:
        """Load ``path`` in a new tab and wait until it has loaded and settled; with
        ``scripts=False`` the page's scripts do not run (as in a viewer that runs none)."""
        return self.visit(path.resolve().as_uri(), settle_s=settle_s, scripts=scripts)

    def visit(self, url: str, *, settle_s: float = 1.5, scripts: bool = True) -> Page:
        """Load ``url`` in a new tab and wait until it has loaded and settled."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.call(f"{domain}.enable", session=session)
        if not scripts:
            self.call("Emulation.setScriptExecutionDisabled", {"value": True}, session=session)
        page = Page(self, session)
        self.call("Page.navigate", {"url": url}, session=session)
        deadline = time.monotonic() + 60
        while not page.events("Page.loadEventFired"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not finish loading")
            time.sleep(0.05)
        time.sleep(settle_s)  # module scripts (the table bundle) run after the load event
        return page


class Page:
    """One tab: what happened while loading, and a way to ask the DOM."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    def events(self, method: str) -> list[dict[str, Any]]:
        return [
            e.get("params", {})
            for e in list(self.browser.events)
            if e.get("method") == method and e.get("sessionId") == self.session
        ]

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.browser.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout_s: float = 60, what: str = "") -> Any:
        """Poll a JavaScript expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout_s:.0f} s for {what or expression}")
            time.sleep(0.2)

    def click(self, element: str, *, count: int = 1, timeout_s: float = 30) -> None:
        """Press and release the left button ``count`` times at the middle of ``element``
        (a JavaScript expression for one element) once it is laid out, as a mouse would."""
        x, y = self.wait_for(
            f"(() => {{ const e = {element}; if (!e) return null;"
            " const r = e.getBoundingClientRect(); if (!r.width || !r.height) return null;"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()",
            timeout_s=timeout_s,
            what=f"{element} to be on screen",
        )
        self.browser.call(
            "Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y}, session=self.session
        )
        for clicks in range(1, count + 1):
            for kind in ("mousePressed", "mouseReleased"):
                event = {"type": kind, "x": x, "y": y, "button": "left", "clickCount": clicks}
                self.browser.call("Input.dispatchMouseEvent", event, session=self.session)

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads, as text."""
        found = [
            " ".join(str(arg.get("value", arg.get("description", ""))) for arg in e["args"])
            for e in self.events("Runtime.consoleAPICalled")
            if e.get("type") in {"error", "assert"}
        ]
        found += [
            str(e["exceptionDetails"].get("exception", {}).get("description", e))
            for e in self.events("Runtime.exceptionThrown")
        ]
        found += [
            f"{e['entry'].get('text')} {e['entry'].get('url', '')}"
            for e in self.events("Log.entryAdded")
            if e["entry"].get("level") == "error"
        ]
        return found

    def requested_urls(self) -> list[str]:
        return [e["request"]["url"] for e in self.events("Network.requestWillBeSent")]

    def capture(self, path: Path) -> Path:
        """What the viewport shows now, as a PNG at ``path``."""
        shot = self.browser.call("Page.captureScreenshot", {"format": "png"}, session=self.session)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def screenshot(self, path: Path) -> Path:
        """The whole page as a PNG at ``path``."""
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": min(height, 12000), "deviceScaleFactor": 1, "mobile": False},
            session=self.session,
        )
        shot = self.browser.call("Page.captureScreenshot", {"format": "png"}, session=self.session)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
