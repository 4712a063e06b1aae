"""The deploy files stay in step: the Dockerfile, deploy/kubernetes.yaml, the Makefile and
deploy/serve.py run the app with one command line, on one port, checked on one health path;
the Ingress and HAProxy keep a visitor on one replica by cookie.

Neither the image nor the manifest can be built or applied on these machines (no registry, no
cluster), so they are read as text. PyYAML is not a dependency: :func:`_yaml` reads the small
subset of YAML the manifest is written in (and refuses anything else)."""

from __future__ import annotations

import http.server
import json
import os
import re
import resource
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

from deploy import serve
from deploy.serve import (
    COOKIE,
    HEALTH,
    MAX_CONNECTIONS,
    find_haproxy,
    free_port,
    haproxy_config,
    healthy,
    max_connections,
    port_free,
    replica_command,
)

ROOT = Path(__file__).resolve().parents[1]
PORT = 8501
IN_CONTAINER = replica_command(PORT, "0.0.0.0")


# --- readers ---------------------------------------------------------------------------------


def _scalar(text: str):
    if text[0] in '[{"':
        return json.loads(text)  # flow sequences and quoted strings, written as JSON
    if text.isdigit():
        return int(text)
    return {"true": True, "false": False}.get(text, text)


def _block(lines: list[tuple[int, str]], at: int, indent: int):
    """The mapping or sequence whose lines start at ``lines[at]`` with ``indent`` spaces."""
    if lines[at][1].startswith("- "):
        items = []
        while at < len(lines) and lines[at][0] == indent and lines[at][1].startswith("- "):
            lines[at] = (indent + 2, lines[at][1][2:])  # "- key: v" opens a mapping at +2
            item, at = _block(lines, at, indent + 2)
            items.append(item)
        return items, at
    mapping = {}
    while at < len(lines) and lines[at][0] == indent and not lines[at][1].startswith("- "):
        key, colon, rest = lines[at][1].partition(":")
        assert colon and key not in mapping, f"not in the YAML subset: {lines[at][1]!r}"
        at += 1
        if rest.strip():
            mapping[key] = _scalar(rest.strip())
        else:
            assert at < len(lines) and lines[at][0] > indent, f"{key}: has no value"
            mapping[key], at = _block(lines, at, lines[at][0])
    return mapping, at


def _yaml(text: str) -> list[dict]:
    """The documents of a manifest in block style (mappings, sequences, scalars, one-line JSON
    flow sequences; whole-line comments)."""
    documents = []
    for part in text.split("\n---\n"):
        lines = [
            (len(line) - len(line.lstrip(" ")), line.strip())
            for line in part.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
        document, end = _block(lines, 0, 0)
        assert end == len(lines), f"not read: {lines[end:]}"
        documents.append(document)
    return documents


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, line continuations joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    pairs = [line.strip().split(maxsplit=1) for line in text.splitlines()]
    return [(p[0].upper(), p[1]) for p in pairs if p and not p[0].startswith("#")]


def _recipe(target: str) -> list[str]:
    """The command lines of a Makefile target."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert match, f"no {target} target in the Makefile"
    return [line.strip() for line in match.group(1).splitlines()]


def _manifest() -> dict[str, dict]:
    return {doc["kind"]: doc for doc in _yaml((ROOT / "deploy" / "kubernetes.yaml").read_text())}


def _max_upload_mb() -> int:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    return config["server"]["maxUploadSize"]


# --- the reader itself -----------------------------------------------------------------------


def test_the_yaml_reader_reads_the_subset_and_refuses_the_rest():
    text = 'a:\n  b: 1\n  c: ["x", "y"]\n  d:\n    - e: "f"\n      g: h\n    - i: true\n---\nk: v\n'
    assert _yaml(text) == [
        {"a": {"b": 1, "c": ["x", "y"], "d": [{"e": "f", "g": "h"}, {"i": True}]}},
        {"k": "v"},
    ]
    with pytest.raises(AssertionError):
        _yaml("a: 1\na: 2\n")  # a repeated key
    with pytest.raises(AssertionError):
        _yaml("a:\nb: 1\n")  # a key without a value


# --- one command, one port, one health path ---------------------------------------------------


def test_make_run_and_make_serve_start_the_launchers_command():
    run = shlex.split(_recipe("run")[0].replace("$(BIN)/", "").replace("$(PORT)", str(PORT)))
    assert run == replica_command(PORT)[: len(run)]  # the same command, on every address
    assert _recipe("serve") == [
        "$(BIN)/python deploy/serve.py --replicas $(REPLICAS) --port $(PORT)"
    ]


def test_the_dockerfile_runs_the_launchers_command_and_checks_its_health():
    instructions = _dockerfile()
    first = dict(instructions)  # FROM, CMD, USER... appear once
    assert first["FROM"] == "python:3.11-slim"
    assert json.loads(first["CMD"]) == IN_CONTAINER
    assert first["EXPOSE"] == str(PORT)
    assert f"http://127.0.0.1:{PORT}{HEALTH}" in first["HEALTHCHECK"]
    assert first["USER"] not in ("root", "0")
    runs = [arguments for kind, arguments in instructions if kind == "RUN"]
    assert "pip install -r requirements.txt" in runs
    # The image is warmed as `make warm` warms a machine, as the user that serves it.
    warm = _recipe("warm")[0].replace("$(BIN)/python", "python")
    assert warm in runs
    assert instructions.index(("RUN", warm)) > instructions.index(("USER", first["USER"]))


def test_the_manifest_runs_the_image_command_with_probes_on_the_health_path():
    manifest = _manifest()
    assert set(manifest) == {"Deployment", "Service", "Ingress"}
    deployment = manifest["Deployment"]["spec"]
    assert deployment["replicas"] >= 2
    pod = deployment["template"]
    assert deployment["selector"]["matchLabels"] == pod["metadata"]["labels"]
    (container,) = pod["spec"]["containers"]
    assert container["command"] == IN_CONTAINER
    assert container["ports"] == [{"containerPort": PORT}]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": HEALTH, "port": PORT}
        # A replica busy with numbers answers late: the default 1 s timeout would fail it.
        assert container[probe]["timeoutSeconds"] >= 3
    ready, live = container["readinessProbe"], container["livenessProbe"]
    # Taken out of the Service well before it is restarted (a restart loses every session).
    assert live["periodSeconds"] * live["failureThreshold"] >= 60
    assert live["periodSeconds"] * live["failureThreshold"] > (
        ready["periodSeconds"] * ready["failureThreshold"]
    )
    assert {"requests", "limits"} <= set(container["resources"])
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True


def test_the_pods_trainings_use_the_cpus_of_the_pod_not_of_the_node():
    (container,) = _manifest()["Deployment"]["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    cpus = int(container["resources"]["limits"]["cpu"])
    # Unset, TensorFlow's intra-op pool is os.cpu_count(): every core of the node in a pod.
    assert 1 <= int(env["CNNVIZ_TF_INTRA_THREADS"]) <= cpus
    assert 1 <= int(env["CNNVIZ_TF_INTER_THREADS"]) <= cpus
    assert int(env["CNNVIZ_MAX_TRAININGS"]) >= 1


def test_the_service_and_ingress_reach_the_pods_with_cookie_affinity():
    manifest = _manifest()
    service = manifest["Service"]
    assert service["spec"]["selector"] == manifest["Deployment"]["spec"]["selector"]["matchLabels"]
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] == PORT
    ingress = manifest["Ingress"]
    notes = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert notes[prefix + "affinity"] == "cookie"
    assert notes[prefix + "session-cookie-name"]
    assert int(notes[prefix + "proxy-read-timeout"]) >= 3600  # the page's websocket stays open
    # The body of an upload is a multipart form: the file plus its boundaries and headers.
    assert int(notes[prefix + "proxy-body-size"].removesuffix("m")) > _max_upload_mb()
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": service["metadata"]["name"], "port": {"number": port["port"]}}


# --- HAProxy ---------------------------------------------------------------------------------


def test_haproxy_keeps_visitors_by_cookie_and_checks_the_health_path():
    config = haproxy_config({"r1": 9001, "r2": 9002}, PORT, "0.0.0.0", "/tmp/stats.sock")
    lines = [line.strip() for line in config.splitlines()]
    assert "cookie SERVERID insert indirect nocache httponly" in lines
    assert f"option httpchk GET {HEALTH}" in lines
    assert "server r1 127.0.0.1:9001 cookie r1" in lines
    assert "server r2 127.0.0.1:9002 cookie r2" in lines
    assert not any(line.startswith(("balance source", "stick")) for line in lines)
    assert any(line.startswith("timeout tunnel") for line in lines)  # for the websocket


def test_haproxy_keeps_a_busy_replicas_visitors_and_never_shares_its_port():
    config = haproxy_config({"r1": 9001}, PORT, "0.0.0.0", "/tmp/stats.sock")
    lines = [line.strip() for line in config.splitlines()]
    assert "noreuseport" in lines  # a busy port fails HAProxy instead of being shared
    # A slow health answer is given 3 s (not `inter`'s 1 s), three misses mark a replica DOWN,
    # and even then its visitors' cookies are honoured; a refused connection is redispatched.
    assert "timeout check 3s" in lines
    assert "option persist" in lines and "option redispatch" in lines
    (checks,) = [line for line in lines if line.startswith("default-server")]
    assert int(re.search(r"\bfall (\d+)", checks).group(1)) >= 3
    assert f"maxconn {max_connections(1)}" in lines


def test_haproxy_maxconn_fits_the_limit_on_open_files():
    assert max_connections(2, fd_limit=20_000) == MAX_CONNECTIONS == 1000
    assert max_connections(2, fd_limit=resource.RLIM_INFINITY) == MAX_CONNECTIONS
    # HAProxy 2.6 asked for 2 x maxconn + 28 + replicas: 8,222 for maxconn 4096, 2 replicas.
    for limit, replicas in ((1024, 2), (1024, 32), (256, 8)):
        assert 2 * max_connections(replicas, limit) + 28 + replicas <= limit


@pytest.fixture
def held_port():
    """A port another server listens on, as HAProxy does (SO_REUSEPORT) and Streamlit does."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_port_in_use_is_found_on_any_address(held_port):
    assert not port_free("0.0.0.0", held_port)
    assert not port_free("127.0.0.1", held_port)
    assert port_free("127.0.0.1", free_port())


def _haproxy(config: str, folder: Path, fd_limit: int | None = None) -> subprocess.Popen:
    path = folder / "haproxy.cfg"
    path.write_text(config)

    def limit() -> None:
        if fd_limit:
            resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

    return subprocess.Popen(
        [find_haproxy(), "-f", str(path), "-db"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=limit,
    )


def _listens(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(find_haproxy() is None, reason="HAProxy is not installed (make test does)")
def test_haproxy_refuses_a_port_in_use(held_port, tmp_path):
    sock = str(tmp_path / "s.sock")
    haproxy = _haproxy(haproxy_config({"r1": free_port()}, held_port, "127.0.0.1", sock), tmp_path)
    try:
        output, _ = haproxy.communicate(timeout=10)
    finally:
        haproxy.kill()
    assert haproxy.returncode != 0 and "Address already in use" in output, output


@pytest.mark.skipif(find_haproxy() is None, reason="HAProxy is not installed (make test does)")
def test_haproxy_starts_under_a_low_limit_on_open_files(tmp_path):
    port, sock = free_port(), str(tmp_path / "s.sock")
    maxconn = max_connections(2, fd_limit=1024)
    config = haproxy_config(
        {"r1": free_port(), "r2": free_port()}, port, "127.0.0.1", sock, maxconn
    )
    haproxy = _haproxy(config, tmp_path, fd_limit=1024)
    try:
        deadline = time.monotonic() + 10
        while not _listens(port):
            assert haproxy.poll() is None, haproxy.communicate()[0]
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        haproxy.kill()
        haproxy.communicate()


class _Health(http.server.BaseHTTPRequestHandler):
    cookie = ""  # a Set-Cookie header to send, if any

    def do_GET(self):
        self.send_response(200 if self.path == HEALTH else 404)
        if self.cookie:
            self.send_header("Set-Cookie", self.cookie)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    ("cookie", "ours"),
    [("", False), ("_streamlit_xsrf=abc; Path=/", False), (f"{COOKIE}=r1; path=/", True)],
)
def test_the_launcher_takes_an_answer_as_its_haproxys_only_with_the_cookie(cookie, ours):
    """Another server on the port (`make run`'s Streamlit) answers the health path too."""
    handler = type("Handler", (_Health,), {"cookie": cookie})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            assert healthy(url)
            assert healthy(url, cookie=COOKIE) is ours
        finally:
            server.shutdown()


@pytest.mark.skipif(find_haproxy() is None, reason="HAProxy is not installed (make test does)")
def test_haproxy_accepts_the_configuration(tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config({"r1": 9001, "r2": 9002}, PORT, "0.0.0.0", "/tmp/x.sock"))
    check = subprocess.run(
        [find_haproxy(), "-c", "-f", str(config)], capture_output=True, text=True, timeout=30
    )
    output = check.stdout + check.stderr
    assert check.returncode == 0 and "WARNING" not in output, output


def test_the_launcher_needs_nothing_outside_the_standard_library():
    source = (ROOT / "deploy" / "serve.py").read_text()
    imported = set(re.findall(r"^(?:import|from) (\w+)", source, re.MULTILINE))
    assert imported <= {"__future__", *sys.stdlib_module_names}, imported


def _watch(workshop: serve.Workshop, capsys, until: str, seconds: float = 30) -> str:
    """Run the launcher's watch loop in a thread; what it printed once ``until`` is in it, and
    a second and a half more (time for a start that must not come)."""
    threading.Thread(target=workshop.wait, daemon=True).start()
    printed, deadline = "", time.monotonic() + seconds
    while until not in printed:
        assert time.monotonic() < deadline, printed
        printed += capsys.readouterr().out
        time.sleep(0.1)
    time.sleep(1.5)
    return printed + capsys.readouterr().out


@pytest.fixture
def stand_ins(tmp_path, monkeypatch):
    """A Workshop of stand-in processes (no HAProxy, no Streamlit), its group killed after."""
    monkeypatch.setattr(serve, "RESTART_AFTER", 0.2)
    workshop = serve.Workshop(1, free_port(), "127.0.0.1", "unused", str(tmp_path))
    yield workshop
    if workshop.group:  # never 0: os.killpg(0) would end this test's own process group
        os.killpg(workshop.group, signal.SIGKILL)  # not stop(): it ignores Ctrl-C from then on


def test_a_replica_that_ends_is_started_again_unless_it_keeps_ending(stand_ins, capsys):
    """A replica that ran a while and ended is started again after RESTART_AFTER, in the
    launcher's process group (Ctrl-C ends it with the rest) even once the group's first process
    has gone; one that then ends twice soon after starting is left stopped."""
    workshop = stand_ins
    leader = workshop._start("r0", [sys.executable, "-c", "pass"])  # leads the group, then ends
    workshop._start("haproxy", [sys.executable, "-c", "import time; time.sleep(60)"])
    says_group = "import os; print('up, group', os.getpgrp()); raise SystemExit(3)"
    replica = workshop._start("r1", [sys.executable, "-c", says_group])
    leader.wait()
    replica.wait()
    del workshop.processes["r0"]  # not a replica to watch: it only made the group
    workshop.started["r1"] -= 100  # it ran a while before it ended: started again
    printed = _watch(workshop, capsys, "left stopped")
    assert printed.count("r1 stopped (exit 3)") == 3, printed
    assert printed.count("replica r1 restarted, pid ") == 2, printed
    assert "left stopped" in printed.rsplit("r1 stopped", 1)[1]
    assert "--- r1 started again ---" in printed  # the end of its log, runs told apart
    groups = re.findall(r"^    up, group (\d+)$", printed, re.MULTILINE)
    assert len(groups) >= 3 and set(groups) == {str(workshop.group)}, printed


def test_one_short_life_then_a_long_one_keeps_the_replica_restarting(
    stand_ins, capsys, tmp_path, monkeypatch
):
    """Only two short lives in a row stop the restarts: a replica that crashed once at its
    start and then ran past SHORT_LIFE is started again when it ends."""
    workshop = stand_ins
    runs = tmp_path / "runs"
    # Each run counts itself; the second one lives long (past a SHORT_LIFE of 3 s).
    monkeypatch.setattr(serve, "SHORT_LIFE", 3.0)
    script = (
        "import pathlib, sys, time; p = pathlib.Path(sys.argv[1]); n = len(p.read_text()) "
        "if p.exists() else 0; p.write_text('x' * (n + 1)); time.sleep(5 if n == 1 else 0); "
        "raise SystemExit(3)"
    )
    workshop._start("haproxy", [sys.executable, "-c", "import time; time.sleep(60)"])
    workshop._start("r1", [sys.executable, "-c", script, str(runs)])
    printed = _watch(workshop, capsys, "left stopped", seconds=60)
    # run 1 short (1 in a row), run 2 long (0), runs 3 and 4 short (2 in a row): left stopped
    assert printed.count("r1 stopped (exit 3)") == 4, printed
    assert printed.count("replica r1 restarted, pid ") == 3, printed
    assert runs.read_text() == "xxxx"


def test_a_replica_that_cannot_be_started_again_is_left_and_said(stand_ins, capsys, monkeypatch):
    workshop = stand_ins
    workshop._start("haproxy", [sys.executable, "-c", "import time; time.sleep(60)"])
    workshop._start("r1", [sys.executable, "-c", "raise SystemExit(3)"]).wait()
    workshop.started["r1"] -= 100

    def no_descriptors(*args):
        raise OSError(24, "EMFILE")

    monkeypatch.setattr(workshop, "_start", no_descriptors)
    printed = _watch(workshop, capsys, "could not be started again")
    assert "replica r1 could not be started again ([Errno 24] EMFILE): left stopped" in printed
    assert printed.count("could not be started again") == 1, printed  # not tried every 0.5 s
