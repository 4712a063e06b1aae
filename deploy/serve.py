"""Serve a workshop: N Streamlit replicas on local ports behind HAProxy with sticky sessions.

``make serve REPLICAS=N PORT=P`` runs this (standard library only). It writes HAProxy's
configuration (``deploy/haproxy.cfg`` filled in) to a temporary folder, starts N replicas with
:func:`replica_command` on free local ports, waits until each answers ``/_stcore/health``, starts
``haproxy -db`` listening on P and prints the address (once a reply through P carries HAProxy's
cookie); a port P already in use (another ``make serve``, or ``make run``) is reported and nothing
is started. Ctrl-C or SIGTERM stops every process it started: replicas, their training workers
and HAProxy all run in one process group of their own, which is terminated (then killed, if need
be) as a whole, so nothing is left behind. A replica that exits has the end of its log printed
and is started again on its port after a few seconds (its visitors' sessions are lost; new ones
land on it once HAProxy's health check sees it up), unless it keeps exiting soon after starting.

:func:`replica_command` is the one home of the command line that runs the app: the Dockerfile's
``CMD`` and the Kubernetes manifest's ``command`` are checked against it (``tests/test_deploy.py``).
The remaining server settings live in ``.streamlit/config.toml``, read by every replica.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("haproxy.cfg")
HEALTH = "/_stcore/health"
DEFAULT_PORT = 8501
DEFAULT_REPLICAS = 2
COOKIE = "SERVERID"  # HAProxy's cookie naming a visitor's replica (deploy/haproxy.cfg)
MAX_CONNECTIONS = 1000  # HAProxy's maxconn, when the file descriptor limit allows it
RESTART_AFTER = 5.0  # s before a replica that exited is started again: never a busy loop
SHORT_LIFE = 60.0  # s: a replica that exits this soon after starting, twice running, stays down


def replica_command(port: int = DEFAULT_PORT, address: str = "127.0.0.1") -> list[str]:
    """The command that runs one replica of the app (``make run`` runs the same, on all
    addresses; the container listens on 0.0.0.0)."""
    return [
        "streamlit", "run", "app.py",
        "--server.port", str(port), "--server.address", address,
        "--server.headless", "true",
    ]  # fmt: skip


def max_connections(replicas: int, fd_limit: int | None = None) -> int:
    """HAProxy's ``maxconn``: :data:`MAX_CONNECTIONS`, or fewer if the hard limit on open files
    (``fd_limit``, this process's by default) cannot hold them. HAProxy 2.6 needs 2 descriptors
    per connection plus ~28 and one per replica (measured: 8,222 for 4096 with 2 replicas) and
    will not start if the hard limit is lower."""
    if fd_limit is None:
        fd_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if fd_limit == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(1, min(MAX_CONNECTIONS, (fd_limit - 64 - replicas) // 2))


def haproxy_config(
    servers: dict[str, int], port: int, bind: str, stats_socket: str, maxconn: int | None = None
) -> str:
    """HAProxy's configuration for replicas ``{name: local port}``: the name is the cookie
    value that keeps a visitor on that replica."""
    lines = [f"    server {name} 127.0.0.1:{p} cookie {name}" for name, p in servers.items()]
    return Template(TEMPLATE.read_text()).substitute(
        port=port,
        bind=bind,
        stats_socket=stats_socket,
        maxconn=maxconn or max_connections(len(servers)),
        servers="\n".join(lines),
    )


def find_haproxy() -> str | None:
    """HAProxy's path: on PATH, or in /usr/sbin (not on a normal user's PATH on Debian)."""
    return shutil.which("haproxy", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(bind: str, port: int) -> bool:
    """Whether HAProxy can listen on ``bind:port``: nothing else listens there, on that address
    or on every address (a port left in TIME_WAIT by an earlier run does not count)."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((bind or "0.0.0.0", port))
        except OSError:
            return False
    return True


def healthy(url: str, cookie: str | None = None) -> bool:
    """Whether ``url`` answers its health path, and (given ``cookie``) sets that cookie: the
    proof that the answer came through our HAProxy and not from another server on its port."""
    try:
        with urllib.request.urlopen(url + HEALTH, timeout=2) as reply:
            cookies = reply.headers.get_all("Set-Cookie") or []
            return reply.status == 200 and (
                cookie is None or any(c.startswith(cookie + "=") for c in cookies)
            )
    except OSError:
        return False


def address(bind: str, port: int) -> str:
    """The address to give the room: this host's own address on its network when HAProxy
    listens on every address (nothing is sent: a UDP socket only picks its route)."""
    if bind not in ("0.0.0.0", "::", ""):
        return f"http://{bind}:{port}"
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            return f"http://{s.getsockname()[0]}:{port}"
    except OSError:
        return f"http://127.0.0.1:{port}"


def _die_with_parent() -> None:
    """In a child, before exec: receive SIGTERM if this launcher dies, even by SIGKILL (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Workshop:
    """The processes of one ``make serve``: start them, wait for them, stop them all."""

    def __init__(self, replicas: int, port: int, bind: str, haproxy: str, folder: str):
        self.replicas, self.port, self.bind, self.haproxy = replicas, port, bind, haproxy
        self.folder = Path(folder)
        self.processes: dict[str, subprocess.Popen] = {}
        self.commands: dict[str, list[str]] = {}
        self.started: dict[str, float] = {}  # name → time.monotonic() of its (re)start
        self.group = 0  # the process group of everything started here

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "a")  # noqa: SIM115 (the child keeps it)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            process_group=self.group,  # 0 for the first: a new group, led by it
            preexec_fn=_die_with_parent,
        )
        log.close()
        self.group = self.group or process.pid
        self.processes[name], self.commands[name] = process, command
        self.started[name] = time.monotonic()
        return process

    def start(self, timeout: float = 120) -> None:
        streamlit = str(Path(sys.executable).with_name("streamlit"))
        ports = {f"r{i}": free_port() for i in range(1, self.replicas + 1)}
        for name, port in ports.items():
            self._start(name, [streamlit, *replica_command(port)[1:]])
        deadline = time.monotonic() + timeout
        for name, port in ports.items():
            while not healthy(f"http://127.0.0.1:{port}"):
                if self.processes[name].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"replica {name} did not start:\n{self.log(name)}")
                time.sleep(0.2)
            print(f"replica {name} pid {self.processes[name].pid} at http://127.0.0.1:{port}")
        config = self.folder / "haproxy.cfg"
        stats = self.folder / "haproxy.sock"
        config.write_text(haproxy_config(ports, self.port, self.bind, str(stats)))
        haproxy = self._start("haproxy", [self.haproxy, "-f", str(config), "-db"])
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "::", "") else self.bind
        while not healthy(f"http://{host}:{self.port}", cookie=COOKIE):
            if haproxy.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not start:\n{self.log('haproxy')}")
            time.sleep(0.1)
        print(f"haproxy pid {haproxy.pid} stats socket {stats}")

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def tail(self, name: str, lines: int = 20) -> str:
        """The last lines of a process's log, indented (the logs go with the temp folder)."""
        return "\n".join("    " + line for line in self.log(name).splitlines()[-lines:])

    def wait(self) -> None:
        """Until HAProxy ends. A replica that ends is taken out by HAProxy's health check and
        started again after :data:`RESTART_AFTER` seconds; one that ended twice running within
        :data:`SHORT_LIFE` seconds of its start is left stopped (it would only crash again)."""
        haproxy = self.processes["haproxy"]
        ended: dict[str, float] = {}  # name → when it was seen to end, until it is restarted
        short_lives: dict[str, int] = {}  # name → its short lives in a row
        while haproxy.poll() is None:
            now = time.monotonic()
            for name, process in list(self.processes.items()):
                if name != "haproxy" and name not in ended and process.poll() is not None:
                    ended[name] = now
                    short = now - self.started[name] < SHORT_LIFE
                    short_lives[name] = (short_lives.get(name, 0) + 1) if short else 0
                    self._say_ended(name, process.returncode, again=short_lives[name] < 2)
            for name, when in list(ended.items()):
                if short_lives[name] < 2 and now - when >= RESTART_AFTER:
                    if self._restart(name):
                        del ended[name]
                    else:
                        short_lives[name] = 2  # not tried again
            time.sleep(0.5)

    def _say_ended(self, name: str, code: int, again: bool) -> None:
        then = (f"starting it again in {RESTART_AFTER:.0f} s" if again
                else "it ended twice soon after starting: left stopped")  # fmt: skip
        print(f"{name} stopped (exit {code}); HAProxy's health check takes it out, {then}. "
              f"The end of its log:\n{self.tail(name)}", flush=True)  # fmt: skip

    def _restart(self, name: str) -> bool:
        """Start a replica that ended again, on its port; if it cannot be started (no file
        descriptors left, say), say why and return False: the others go on serving."""
        try:
            with open(self.folder / f"{name}.log", "a") as log:  # its log tells the runs apart
                log.write(f"--- {name} started again ---\n")
            process = self._start(name, self.commands[name])
        except OSError as error:
            print(f"replica {name} could not be started again ({error}): left stopped", flush=True)
            return False
        print(f"replica {name} restarted, pid {process.pid}", flush=True)
        return True

    def stop(self, grace: float = 10) -> None:
        """Terminate the whole process group (replicas, their workers, HAProxy), then kill
        whatever is still there after ``grace`` seconds."""
        if not self.group:
            return
        # A second Ctrl-C, or the terminal closing meanwhile, must not cut this short.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        try:
            os.killpg(self.group, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        while time.monotonic() < deadline:  # workers of the replicas, if any are left
            try:
                os.killpg(self.group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        try:
            os.killpg(self.group, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _stop_on_signal(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=DEFAULT_REPLICAS)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--bind", default="0.0.0.0", help="address HAProxy listens on")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    haproxy = find_haproxy()
    if haproxy is None:
        print("HAProxy is not installed: `make serve` installs it (apt-get install haproxy).")
        return 1
    if not port_free(args.bind, args.port):
        print(f"Port {args.port} is in use (another `make serve`, or `make run`?): stop it, or "
              f"serve on another port: make serve PORT={args.port + 1}")  # fmt: skip
        return 1
    # Ctrl-C, SIGTERM or a closed terminal stop everything: set even where SIGINT came in
    # ignored (a shell without job control ignores it in the commands it starts with &).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    per_replica = os.environ.get("CNNVIZ_MAX_TRAININGS", "2 (1 on one CPU)")
    with tempfile.TemporaryDirectory(prefix="cnnviz-serve-") as folder:
        workshop = Workshop(args.replicas, args.port, args.bind, haproxy, folder)
        try:
            workshop.start()
            print(f"trainings at once: CNNVIZ_MAX_TRAININGS = {per_replica} per replica "
                  f"× {args.replicas} replicas")  # fmt: skip
            print(f"Serving {args.replicas} replicas at {address(args.bind, args.port)} "
                  "(Ctrl-C stops them all)", flush=True)  # fmt: skip
            workshop.wait()
            print("haproxy stopped:\n" + workshop.log("haproxy"))
            return 1
        except KeyboardInterrupt:
            print("stopping...", flush=True)
            return 0
        except RuntimeError as error:
            print(error)
            return 1
        finally:
            workshop.stop()


if __name__ == "__main__":
    sys.exit(main())
