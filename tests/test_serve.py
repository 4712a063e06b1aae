"""`make serve` for real: two replicas behind HAProxy (deploy/serve.py), visitors through it.

Each visitor's websocket, uploads (an HTTP PUT) and pictures must reach the one replica that holds
the visitor's session: HAProxy's cookie keeps them there. Two protocol-client sessions
(bench/st_client.py) and one real Chromium upload through the balancer; a replica that stops is
taken out by the health check, new visitors still get a working page, and the launcher starts it
again; a busy replica marked DOWN keeps its own visitors; a second launcher on the same port is
refused; Ctrl-C stops it all.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from bench.st_client import Session
from deploy.serve import find_haproxy
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, assert_no_errors, free_port, wait_idle
from tests.browser.test_sessions import _output_line, _png

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.browser]
if find_haproxy() is None:
    pytest.skip(
        "HAProxy is not installed (`make test` and `make serve` install it: apt-get install "
        "haproxy)",
        allow_module_level=True,
    )


def _in_own_thread(function, *args):
    """Run ``function(*args)`` in a fresh thread and return its result.

    In a full run this file shares a pytest worker with the browser tests, whose Playwright
    keeps an event loop running in the main thread: ``asyncio.run`` and Playwright's sync API
    both refuse to start inside it, so they run in a thread with no loop of its own.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def _run(coroutine):
    return _in_own_thread(asyncio.run, coroutine)


class Workshop:
    """`deploy/serve.py --replicas 2` running, and what it printed: pids, addresses."""

    def __init__(self):
        self.port = free_port()
        self.output = tempfile.NamedTemporaryFile("w+", suffix=".log")  # noqa: SIM115
        self.launcher = subprocess.Popen(
            [sys.executable, "deploy/serve.py", "--replicas", "2", "--port", str(self.port)]
            + ["--bind", "127.0.0.1"],
            cwd=ROOT,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.replicas: dict[str, tuple[int, str]] = {}  # name → (pid, its own address)
        self.group = 0  # the process group of the replicas, their workers and HAProxy
        try:
            self._started()
        except BaseException:  # a failed start must not leave a workshop running
            self.close()
            raise

    def _started(self) -> None:
        deadline = time.monotonic() + 120
        while "Serving 2 replicas" not in self.printed():
            assert self.launcher.poll() is None, self.printed()
            assert time.monotonic() < deadline, self.printed()
            time.sleep(0.2)
        for line in self.printed().splitlines():
            words = line.split()
            if line.startswith("replica "):  # replica r1 pid 123 at http://127.0.0.1:PORT
                self.replicas[words[1]] = (int(words[3]), words[5])
            elif line.startswith("haproxy pid"):  # haproxy pid 125 stats socket PATH
                self.haproxy, self.stats_socket = int(words[2]), words[5]
        self.group = os.getpgid(self.haproxy)

    def printed(self) -> str:
        self.output.seek(0)
        return self.output.read()

    def status(self) -> dict[str, str]:
        """HAProxy's view of each replica (``UP``, ``DOWN``, ...) from its stats socket."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.stats_socket)
            s.sendall(b"show stat\n")
            reply = b"".join(iter(lambda: s.recv(65536), b"")).decode()
        header, *rows = reply.strip().splitlines()
        fields = header.lstrip("# ").split(",")
        named = [dict(zip(fields, row.split(","))) for row in rows]
        return {r["svname"]: r["status"] for r in named if r["svname"] in self.replicas}

    def close(self) -> None:
        """Stop the launcher (it stops its group); kill both if it does not within 30 s."""
        if self.launcher.poll() is None:
            self.launcher.send_signal(signal.SIGINT)
            try:
                self.launcher.wait(30)
            except subprocess.TimeoutExpired:
                self.launcher.kill()
                self.launcher.wait()
        group = self.group or _group_of(self.printed())
        if group and _group(group):
            os.killpg(group, signal.SIGKILL)
        self.output.close()


def _group_of(printed: str) -> int:
    """The process group of the first replica the launcher printed, if it is still running."""
    for line in printed.splitlines():
        if line.startswith("replica "):
            try:
                return os.getpgid(int(line.split()[3]))
            except ProcessLookupError:
                return 0
    return 0


@pytest.fixture(scope="module")
def workshop():
    running = Workshop()
    yield running
    running.close()


def _launch(port: int, *bind: str) -> tuple[int, str, float]:
    """Run a second launcher on ``port``: its exit code, what it printed, how long it took."""
    started = time.monotonic()
    ran = subprocess.run(
        [sys.executable, "deploy/serve.py", "--replicas", "1", "--port", str(port), *bind],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return ran.returncode, ran.stdout + ran.stderr, time.monotonic() - started


async def _act(session: Session, name: str, size: tuple[int, int], kernel: str) -> None:
    """On the Convolution page: upload a picture, pick a kernel."""
    await session.upload("conv_upload", name, _png(*size), "image/png")
    await session.set_value("conv_preset", string_value=kernel)


def _status_codes(address: str, paths: set[str]) -> set[int]:
    return {requests.get(address + path, timeout=10).status_code for path in paths}


async def _two_visitors(workshop: Workshop) -> list[dict]:
    """Two visitors at once through the balancer; what each sees, its replica (the balancer's
    cookie), and which replicas serve the pictures of its page now (while both sessions live)."""
    url = workshop.url
    async with Session(url, "convolution") as first, Session(url, "convolution") as second:
        await asyncio.gather(
            _act(first, "a.png", (120, 90), "Sharpen"),
            _act(second, "b.png", (150, 70), "Laplacian"),
        )
        found = []
        for session, other in ((first, second), (second, first)):
            own = session._media - other._media  # pictures only this visitor's page has
            found.append({
                "line": _output_line(session),
                "errors": session.errors,
                "replica": session._http.cookies.get("SERVERID"),
                "own pictures": len(own),
                "served by": {
                    name: _status_codes(address, own)
                    for name, (_, address) in workshop.replicas.items()
                },
            })  # fmt: skip
        return found


def test_two_visitors_each_stay_on_one_replica_with_their_own_picture(workshop):
    first, second = _run(_two_visitors(workshop))
    assert first["errors"] == [] and second["errors"] == []
    # Each upload (a PUT through the balancer) reached the replica holding its session: the
    # run that follows shows that very picture and kernel, never the other visitor's.
    assert "(input 90 × 120, kernel Sharpen)" in first["line"]
    assert "(input 70 × 150, kernel Laplacian)" in second["line"]
    # Round robin put the two new visitors on different replicas, each held there by its cookie.
    assert {first["replica"], second["replica"]} == set(workshop.replicas)
    # Every request of a session went to its replica: the pictures its page shows (its own
    # picture, its own feature maps) exist there, and nowhere else.
    for visitor, other in ((first, second), (second, first)):
        assert visitor["own pictures"] >= 2, visitor
        assert visitor["served by"] == {visitor["replica"]: {200}, other["replica"]: {404}}


def test_an_upload_in_chromium_through_the_balancer(workshop, tmp_path):
    picture = tmp_path / "c.png"
    picture.write_bytes(_png(130, 100))
    cookies = _in_own_thread(_upload_in_chromium, workshop.url, picture)
    assert cookies["SERVERID"] in workshop.replicas


def _upload_in_chromium(url: str, picture: Path) -> dict[str, str]:
    """Upload ``picture`` on the Convolution page through the balancer; the browser's cookies."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)  # the app's entry first, then the page (the cookie holds)
        wait_idle(page, timeout=60_000)
        page.goto(f"{url}/convolution")
        wait_idle(page, timeout=60_000)
        page.locator("input[type=file]").first.set_input_files(str(picture))
        expect(page.get_by_text("(input 100 × 130, kernel")).to_be_visible(timeout=30_000)
        wait_idle(page)
        assert_no_errors(page)
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        browser.close()
    return cookies


def test_a_second_launcher_on_the_same_port_is_refused_before_it_starts_anything(workshop):
    code, printed, seconds = _launch(workshop.port, "--bind", "127.0.0.1")
    assert code == 1 and f"Port {workshop.port} is in use" in printed, printed
    assert "replica r1" not in printed and seconds < 10  # no replica was started
    # The first workshop still answers, by its own HAProxy (its cookie names one of its replicas).
    reply = requests.get(workshop.url + "/_stcore/health", timeout=10)
    assert reply.status_code == 200 and reply.cookies.get("SERVERID") in workshop.replicas


def test_a_port_held_by_another_server_is_refused():
    """As `make run`'s Streamlit holds 8501 on every address (SO_REUSEADDR, as Tornado sets)."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        port = holder.getsockname()[1]
        code, printed, _ = _launch(port)  # HAProxy on every address, as `make serve`
    assert code == 1 and f"Port {port} is in use" in printed, printed
    assert f"make serve PORT={port + 1}" in printed


def test_a_stopped_replica_is_taken_out_new_visitors_still_work_and_it_comes_back(workshop):
    assert workshop.status() == {name: "UP" for name in workshop.replicas}
    gone, kept = sorted(workshop.replicas)
    os.kill(workshop.replicas[gone][0], signal.SIGTERM)
    deadline = time.monotonic() + 20
    while workshop.status()[gone] != "DOWN":  # three missed checks, one a second
        assert time.monotonic() < deadline, workshop.status()
        time.sleep(0.2)
    assert workshop.status()[kept] == "UP"
    # A visitor whose replica went away (its cookie names it) is sent to the other one: HAProxy
    # tries the named replica first (option persist), which refuses, then redispatches.
    reply = requests.get(workshop.url + "/_stcore/health", cookies={"SERVERID": gone}, timeout=10)
    assert reply.status_code == 200 and reply.cookies.get("SERVERID") == kept
    # The launcher said so, with the end of the replica's log (its temp folder goes at exit).
    printed = workshop.printed()
    assert f"{gone} stopped (exit " in printed, printed
    tail = printed.split(f"{gone} stopped (exit ", 1)[1]
    assert "You can now view your Streamlit app" in tail, printed

    async def visit() -> tuple[str, list[str], str]:
        async with Session(workshop.url, "convolution") as session:
            await _act(session, "d.png", (80, 60), "Box blur")
            return _output_line(session), session.errors, session._http.cookies.get("SERVERID")

    line, errors, replica = _run(visit())
    assert errors == [] and replica == kept
    assert "(input 60 × 80, kernel Box blur)" in line
    # The launcher starts the replica again on its port, and HAProxy's check puts it back.
    deadline = time.monotonic() + 90
    while workshop.status()[gone] != "UP":
        assert time.monotonic() < deadline, (workshop.status(), workshop.printed())
        time.sleep(0.5)
    assert f"replica {gone} restarted, pid " in workshop.printed()
    reply = requests.get(workshop.url + "/_stcore/health", cookies={"SERVERID": gone}, timeout=10)
    assert reply.status_code == 200 and reply.cookies.get("SERVERID") is None  # served by it


def _pid(workshop: Workshop, name: str) -> int:
    """The replica's pid now: the last the launcher printed for it (a restart prints a new one)."""
    pid = 0
    for line in workshop.printed().splitlines():
        words = line.replace(",", "").split()  # replica r1 pid 123 at ... / r1 restarted pid 456
        if words[:2] == ["replica", name] and "pid" in words:
            pid = int(words[words.index("pid") + 1])
    return pid


def _until(workshop: Workshop, name: str, status: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while workshop.status()[name] != status:
        assert time.monotonic() < deadline, (name, status, workshop.status())
        time.sleep(0.3)


def test_a_busy_replica_marked_down_keeps_its_visitors_and_new_ones_go_elsewhere(workshop):
    """A replica that answers nothing for a while (a stopped process stands in for one stuck in
    a visitor's numbers) misses its health checks and is marked DOWN: new visitors go to the
    other, but its own visitors wait for it (option persist) instead of losing their session
    to a new one elsewhere, and are answered by it once it is back."""
    for name in workshop.replicas:  # the previous test's replica may still be coming back
        _until(workshop, name, "UP", 90)
    busy, other = sorted(workshop.replicas)
    pid = _pid(workshop, busy)
    assert pid > 0, workshop.printed()  # os.kill(0, SIGSTOP) would stop this test's own group
    os.kill(pid, signal.SIGSTOP)
    try:
        _until(workshop, busy, "DOWN", 40)  # three checks of 3 s without an answer
        fresh = requests.get(workshop.url + "/_stcore/health", timeout=10)
        assert fresh.status_code == 200 and fresh.cookies.get("SERVERID") == other
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            kept = pool.submit(
                requests.get, workshop.url + "/_stcore/health", cookies={"SERVERID": busy},
                timeout=30,
            )  # fmt: skip
            time.sleep(2)
            assert not kept.done(), kept.result()  # waiting for its replica, not sent elsewhere
            os.kill(pid, signal.SIGCONT)
            reply = kept.result()
    finally:
        os.kill(pid, signal.SIGCONT)
    assert reply.status_code == 200 and reply.cookies.get("SERVERID") is None  # its replica's
    _until(workshop, busy, "UP", 30)


def _state(stat: Path) -> tuple[str, int] | None:
    """A process's state letter and process group, from its /proc/PID/stat (None if gone)."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[2])


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, exited but not yet reaped, does not)."""
    state = _state(Path(f"/proc/{pid}/stat"))
    return state is not None and state[0] != "Z"


def _group(pgid: int) -> set[int]:
    """The live processes of process group ``pgid`` now (from /proc)."""
    members = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        state = _state(stat)
        if state is not None and state[1] == pgid and state[0] != "Z":
            members.add(int(stat.parent.name))
    return members


class _FailsOnceStarted(Workshop):
    """A start that fails (an assertion) once the launcher has started its first replica."""

    printed_then = ""

    def _started(self) -> None:
        deadline = time.monotonic() + 60
        while "replica r1 pid" not in self.printed():
            assert time.monotonic() < deadline, self.printed()
            time.sleep(0.1)
        _FailsOnceStarted.printed_then = self.printed()
        raise AssertionError("a start that fails")


def test_a_failed_start_leaves_nothing_running():
    with pytest.raises(AssertionError, match="a start that fails"):
        _FailsOnceStarted()
    line = _FailsOnceStarted.printed_then.split("replica r1 pid ", 1)[1]
    assert not _alive(int(line.split()[0]))


async def _stop_while_training(workshop: Workshop) -> tuple[set[int], int]:
    """Start a training through the balancer; once its worker runs, Ctrl-C the launcher."""
    before = _group(workshop.group)
    async with Session(workshop.url, "train") as session:
        await session.set_value("train_start", trigger_value=True, wait=False)
        deadline = time.monotonic() + 60
        while not _group(workshop.group) - before:  # the training's worker process
            assert time.monotonic() < deadline, "no training worker started"
            await asyncio.sleep(0.2)
        started = _group(workshop.group)
        workshop.launcher.send_signal(signal.SIGINT)  # to the launcher alone, not its group
        code = await asyncio.to_thread(workshop.launcher.wait, 30)
    return started, code


def test_ctrl_c_stops_every_process_it_started_workers_included(workshop):
    started, code = _run(_stop_while_training(workshop))
    assert code == 0, workshop.printed()
    assert workshop.haproxy in started and len(started) >= 3  # a replica, HAProxy, a worker
    assert _group(workshop.group) == set()
    assert not [pid for pid in started if _alive(pid)]
