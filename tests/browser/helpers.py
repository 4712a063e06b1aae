"""Small helpers for real-browser tests: wait for Streamlit to settle, check for errors."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
    "--no-first-run",
]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
HEAVY_LIBRARIES = ("tensorflow", "keras")  # what the serving process must never load
_SERVER_PIDS: dict[str, int] = {}  # base URL → process id of the servers running now


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(script: str = "app.py", env: dict[str, str] | None = None, timeout=60):
    """Run `streamlit run script` on a free local port; yield its base URL; stop it after.

    The server's output goes to a temporary file (a pipe could fill and block it) and is
    printed if it fails to answer its health check.
    """
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    command = [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", "--server.runOnSave", "false",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
    )
    url = f"http://127.0.0.1:{port}"
    _SERVER_PIDS[url] = process.pid
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"streamlit did not start:\n{log.read()}")
            time.sleep(0.2)
        yield url
    finally:
        _SERVER_PIDS.pop(url, None)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.seek(0)
        server_log = log.read()
        log.close()
        os.unlink(log.name)
        if "Traceback" in server_log:
            print("---- streamlit server log ----\n" + server_log)


def server_pid(url: str) -> int:
    """The process id of the server :func:`streamlit_server` runs at ``url`` (any path)."""
    return next(pid for base, pid in _SERVER_PIDS.items() if url.startswith(base))


def heavy_libraries(pid: int) -> list[str]:
    """Files mapped into process ``pid`` whose path names TensorFlow or Keras (Linux ``/proc``).

    Importing TensorFlow maps its shared objects (``libtensorflow_framework.so``,
    ``_pywrap_tensorflow_internal.so``) into the process; they stay mapped until it ends.
    """
    with open(f"/proc/{pid}/maps") as maps:
        paths = {line.split(maxsplit=5)[-1].strip() for line in maps if "/" in line}
    return sorted(p for p in paths if any(name in p.lower() for name in HEAVY_LIBRARIES))


def draw_stroke(page: Page) -> None:
    """Draw a digit 1 on the page's (last) drawing canvas: mouse down near the top, a slightly
    slanted line down in small moves, as a finger draws it, mouse up; then wait for the run."""
    canvas = page.locator("canvas").last  # Fabric.js draws on its upper canvas
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, top = box["x"] + box["width"] / 2, box["y"] + 0.12 * box["height"]
    page.mouse.move(x, top)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x + step * 0.4, top + step * 0.038 * box["height"])
    page.mouse.up()
    wait_idle(page)


def wait_idle(page: Page, timeout: float = 30_000) -> None:
    """Wait until the app's script has finished running (after load or any interaction)."""
    page.wait_for_timeout(150)  # let a just-triggered rerun start before looking for its end
    expect(page.locator(IDLE)).to_be_attached(timeout=timeout)


def assert_no_errors(page: Page) -> None:
    """No exception box, no error message box, no traceback or exception name on the page."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    body = page.locator("body").inner_text()
    assert "Traceback" not in body, body[:2000]
    # A leaked exception shows its class name (ValueError, StreamlitAPIException, ...).
    leaked = re.search(r"\b[A-Z][A-Za-z]*(Error|Exception)\b", body)
    assert leaked is None, f"{leaked.group(0)} on the page: {body[:2000]}"


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under artifacts/screenshots/ (kept as a test artifact)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
