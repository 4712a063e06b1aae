"""Benchmark: many visitors at once on one server, against one idle visitor, in the same run.

Against one real ``streamlit run`` on loopback. Each visitor is its own Streamlit session,
driven by :mod:`bench.st_client`, which speaks Streamlit's websocket protocol as the page's
JavaScript does (widget changes, uploads, fetching every picture a run makes). Twenty Chromium
tabs on a 2-core machine would measure Chromium: in this benchmark's first version the
browsers took 60 % of the CPU and the server got 0.4 of a core.

1. **Idle**: a single visitor uploads its own picture on the Convolution page, changes the
   kernel a few times, goes to the Pooling page (same session), uploads again and moves the
   shift slider a few times. Each interaction is timed from sending the change to the end of
   the run it started, with the run's pictures downloaded.
2. **Load**: ``--trainers`` visitors start training on the Train page, then ``--viewers``
   visitors do the same as the idle visitor, all at once, with a short random pause between
   interactions (people read before they click).

Every visitor uploads a picture of its own size, picks its own kernel, and checks after every
interaction that the page shows *its* picture's size and *its* kernel: a session that ever sees
another's state is counted as a leak. The server's resident memory is sampled throughout and
its peak (VmHWM) read at the end.

Prints median and 95th-percentile latency for both phases, their ratio (target: p95 under
load within 3× of idle), errors, leaks and peak memory. Loopback only; every loop is bounded
and the whole run stops by itself (``--deadline`` seconds).

``--replicas N`` (N ≥ 1) measures the same through the load balancer instead: N replicas
behind HAProxy with sticky sessions, started by ``make serve``'s own launcher
(``deploy/serve.py``); the server CPU is then the replicas' together, and every visitor's
uploads must reach the replica that holds its session (they are counted).
``bench/bench_capacity.py`` runs this measurement for several visitor counts and replicas.

Run: .venv/bin/python bench/bench_load.py [--viewers 20] [--trainers 2] [--replicas N]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import BASELINE_ENV, run_until_deadline  # noqa: E402
from bench._procs import TreeSampler, cpu_seconds, memory_mb, server_pid  # noqa: E402
from bench.st_client import Session  # noqa: E402
from tests.browser.helpers import streamlit_server  # noqa: E402

KERNELS = ["Box blur", "Sharpen", "Laplacian", "Sobel y", "Emboss", "Prewitt x", "Sobel x"]


@dataclass
class Visitor:
    """One simulated visitor: its own picture size and kernel, and what it measured."""

    index: int
    variant: int = 0  # another picture of the same size (the idle visitor's later rounds)
    latencies: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # what each latency was: upload, kernel…
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of this visitor's picture: unique per visitor."""
        return 180 + 6 * self.index, 140 + 4 * self.index

    def picture(self) -> bytes:
        w, h = self.size
        rng = np.random.default_rng((self.index, self.variant))
        buffer = io.BytesIO()
        Image.fromarray((rng.random((h, w)) * 255).astype(np.uint8), "L").save(buffer, "PNG")
        return buffer.getvalue()

    async def timed(self, kind: str, action) -> None:
        start = time.perf_counter()
        await action
        self.latencies.append(time.perf_counter() - start)
        self.kinds.append(kind)


def _find(session: Session, start: str) -> str:
    """The first text on the page that starts with ``start`` ('' if none)."""
    return next((t for t in session.texts() if t.startswith(start)), "")


async def run_visitor(url: str, visitor: Visitor, *, rounds: int, pause: float) -> None:
    w, h = visitor.size
    try:
        async with Session(url, "convolution") as session:
            await visitor.timed(
                "upload", session.upload("conv_upload", "mine.png", visitor.picture(), "image/png")
            )
            for step in range(rounds):
                kernel = KERNELS[(visitor.index + step) % len(KERNELS)]
                await asyncio.sleep(pause * random.random())
                await visitor.timed("kernel", session.set_value("conv_preset", string_value=kernel))
                line = _find(session, "**Output: ")
                if f"(input {h} × {w}, kernel {kernel})" not in line:
                    visitor.leaks.append(f"conv step {step}: {line[:80]!r}")
            await session.goto("pooling")  # same session, next page, as the menu does
            await visitor.timed(
                "upload", session.upload("pool_upload", "mine.png", visitor.picture(), "image/png")
            )
            for step in range(rounds):
                await asyncio.sleep(pause * random.random())
                dx = 2 + step
                await visitor.timed(
                    "shift", session.set_value("pool_dx", double_array_value={"data": [dx]})
                )
                if not any(f"shifted ({dx}, 0)" in t for t in session.texts()):
                    visitor.errors.append(f"pool step {step}: no map shifted by ({dx}, 0)")
                line = _find(session, "Feature map: ")
                if not line.startswith(f"Feature map: {h} × {w}"):
                    visitor.leaks.append(f"pool step {step}: {line[:80]!r}")
            visitor.errors.extend(session.errors)
    except Exception as error:  # a failed visitor is reported, not fatal to the benchmark
        visitor.errors.append(
            f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        )


async def run_baseline_visitor(url: str, visitor: Visitor, *, rounds: int, pause: float) -> None:
    """The same number of interactions on the plain baseline page (``--baseline``): an upload
    and ``rounds`` picks of a kernel name, twice; each pick re-sends one picture."""
    try:
        async with Session(url, "") as session:
            for half in range(2):
                await visitor.timed(
                    "upload",
                    session.upload("base_upload", "mine.png", visitor.picture(), "image/png"),
                )
                for step in range(rounds):
                    kernel = KERNELS[(visitor.index + half + step) % len(KERNELS)]
                    await asyncio.sleep(pause * random.random())
                    await visitor.timed(
                        "kernel", session.set_value("base_preset", string_value=kernel)
                    )
            visitor.errors.extend(session.errors)
    except Exception as error:  # a failed visitor is reported, not fatal to the benchmark
        visitor.errors.append(f"{type(error).__name__}: {error}")


async def run_trainer(url: str, index: int, stop: asyncio.Event) -> list[str]:
    """Start a training on the Train page and keep the session open until `stop`."""
    errors: list[str] = []
    try:
        async with Session(url, "train") as session:
            await session.set_value("train_seed", int_value=index + 1)
            await session.set_value("train_start", trigger_value=True, wait=False)
            await stop.wait()
            errors.extend(session.errors)
    except Exception as error:
        errors.append(f"trainer {index}: {type(error).__name__}: {error}")
    return errors


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


UPLOADS_PER_VISIT = 2  # run_visitor uploads on the Convolution page, then on the Pooling page


@dataclass
class Server:
    """Where the visitors go: the address, and the app's processes (one, or every replica)."""

    url: str
    pids: list[int]
    replicas: int = 0  # 0: one `streamlit run`, no load balancer


@contextmanager
def serve(script: str = "app.py", env: dict | None = None, replicas: int = 0) -> Iterator[Server]:
    """One ``streamlit run`` of ``script`` (``replicas=0``), or ``replicas`` replicas of the app
    behind HAProxy, started and stopped by ``make serve``'s launcher (``deploy/serve.py``)."""
    if not replicas:
        with streamlit_server(script, env=env) as url:
            yield Server(url, [server_pid(int(url.rsplit(":", 1)[1]))])
        return
    import signal

    from deploy.serve import Workshop, find_haproxy, free_port

    haproxy = find_haproxy()
    if haproxy is None:
        raise SystemExit("HAProxy is not installed: `make serve` installs it (apt-get).")
    handlers = {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    with tempfile.TemporaryDirectory(prefix="cnnviz-bench-") as folder:
        port = free_port()
        workshop = Workshop(replicas, port, "127.0.0.1", haproxy, folder)
        try:
            workshop.start()
            pids = [p.pid for name, p in workshop.processes.items() if name != "haproxy"]
            yield Server(f"http://127.0.0.1:{port}", pids, replicas)
        finally:
            workshop.stop()
            for signum, handler in handlers.items():  # stop() ignores them from then on
                signal.signal(signum, handler)


@dataclass
class Measurement:
    """What one idle phase and one load phase measured (see :func:`measure`)."""

    viewers: int
    trainers: int
    replicas: int
    idle: Visitor
    visitors: list[Visitor]
    trainer_errors: list[str]
    load_seconds: float
    server_cpu: float  # seconds, the server's (or every replica's) own process
    memory_before: float
    peak: float  # VmHWM of the (first) server process
    sampler: TreeSampler

    @property
    def loaded(self) -> list[float]:
        return [t for v in self.visitors for t in v.latencies]

    @property
    def errors(self) -> list[str]:
        return [e for v in self.visitors for e in v.errors] + self.idle.errors + self.trainer_errors

    @property
    def leaks(self) -> list[str]:
        return [e for v in self.visitors for e in v.leaks] + self.idle.leaks

    @property
    def uploads(self) -> tuple[int, int]:
        """(uploads that came back with their run, uploads tried) under load."""
        done = sum(v.kinds.count("upload") for v in self.visitors)
        return done, UPLOADS_PER_VISIT * len(self.visitors)

    @property
    def ratio(self) -> float:
        return _p95(self.loaded) / _p95(self.idle.latencies)


async def measure_idle(server: Server, args, visit=run_visitor) -> Visitor:
    """The warm-up visit, then the idle visitor's rounds (a new picture of its size each)."""
    # Warm-up: the first visit builds caches (samples, thumbnails) for everyone; behind the
    # load balancer, one visit per replica (round robin gives each new session the next one).
    for _ in range(max(1, server.replicas)):
        await visit(server.url, Visitor(99), rounds=1, pause=0)
    # More samples than one round: the p95 of 8 would simply be their maximum.
    idle = Visitor(0)
    for variant in range(args.idle_repeats):
        again = Visitor(0, variant=variant)
        await visit(server.url, again, rounds=args.rounds, pause=args.pause)
        for name in ("latencies", "kinds", "errors", "leaks"):
            getattr(idle, name).extend(getattr(again, name))
    return idle


async def measure(
    server: Server, args, viewers: int, trainers: int, idle: Visitor, visit=run_visitor
) -> Measurement:
    """``trainers`` trainings, then ``viewers`` visitors at once, against ``server``."""
    # Each visitor's uploads and picture downloads run in threads: enough for all at once, so
    # that this client never queues them behind each other.
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=max(64, 3 * viewers))
    loop.set_default_executor(executor)
    pid = server.pids[0]
    memory_before = memory_mb(pid, "VmRSS")
    stop = asyncio.Event()
    tasks = [asyncio.create_task(run_trainer(server.url, i, stop)) for i in range(trainers)]
    await asyncio.sleep(3 if trainers else 0)  # let the trainings get going
    visitors = [Visitor(i + 1) for i in range(viewers)]
    sampler = TreeSampler(pid)
    sampler.start()
    started, cpu_started = time.perf_counter(), sum(cpu_seconds(p) for p in server.pids)
    await asyncio.gather(
        *(visit(server.url, v, rounds=args.rounds, pause=args.pause) for v in visitors)
    )
    load_seconds = time.perf_counter() - started
    server_cpu = sum(cpu_seconds(p) for p in server.pids) - cpu_started
    stop.set()
    trainer_errors = [e for errors in await asyncio.gather(*tasks) for e in errors]
    sampler.stop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=64))  # this one's threads end
    executor.shutdown(wait=False)
    return Measurement(
        viewers, trainers, server.replicas, idle, visitors, trainer_errors, load_seconds,
        server_cpu, memory_before, memory_mb(pid, "VmHWM"), sampler,
    )  # fmt: skip


def print_measurement(m: Measurement) -> None:
    """The figures of one measurement, as ``bench_load.py`` prints them."""
    idle, loaded = m.idle, m.loaded
    where = f" via HAProxy, {m.replicas} replica(s)" if m.replicas else ""
    print(f"{'phase' + where:>28} {'n':>4} {'median s':>9} {'p95 s':>7}")
    print(
        f"{'idle: 1 visitor':>28} {len(idle.latencies):4d} "
        f"{_median(idle.latencies):9.2f} {_p95(idle.latencies):7.2f}"
    )
    label = f"load: {m.viewers} visitors + {m.trainers} training"
    print(f"{label:>28} {len(loaded):4d} {_median(loaded):9.2f} {_p95(loaded):7.2f}")
    for kind in ("upload", "kernel", "shift"):
        mine = [t for t, k in zip(idle.latencies, idle.kinds) if k == kind]
        theirs = [t for v in m.visitors for t, k in zip(v.latencies, v.kinds) if k == kind]
        print(
            f"{'  ' + kind:>28} idle {_median(mine):5.2f} / {_p95(mine):5.2f}  "
            f"load {_median(theirs):5.2f} / {_p95(theirs):5.2f}  (median / p95 s)"
        )
    print(
        f"p95 ratio load / idle: {m.ratio:.2f} (target <= 3.00); "
        f"load phase took {m.load_seconds:.0f} s"
    )
    servers = f"{m.replicas} replicas'" if m.replicas > 1 else "server"
    print(
        f"{servers} CPU during the load: {m.server_cpu:.0f} s in {m.load_seconds:.0f} s "
        f"({m.server_cpu / m.load_seconds:.2f} of {os.cpu_count()} cores)"
    )
    print(
        f"server process: {m.memory_before:.0f} MB before the load, peak (VmHWM) {m.peak:.0f} MB; "
        f"with its training workers (up to {m.sampler.max_processes} processes): "
        f"max RSS sum {m.sampler.max_rss:.0f} MB, max PSS sum {m.sampler.max_pss:.0f} MB"
    )
    done, tried = m.uploads
    print(
        f"errors: {len(m.errors)}; sessions that saw another's picture or kernel: "
        f"{len(m.leaks)}; uploads that came back: {done} of {tried}"
    )
    for line in (m.errors + m.leaks)[:20]:
        print("  ", line)


async def main_async(args) -> None:
    if args.baseline:
        script, env, visit = "bench/baseline_image_page.py", BASELINE_ENV, run_baseline_visitor
        args.trainers, args.replicas = 0, 0
    else:
        script, env, visit = "app.py", None, run_visitor
    with serve(script, env, args.replicas) as server:
        idle = await measure_idle(server, args, visit)
        measurement = await measure(server, args, args.viewers, args.trainers, idle, visit)
    print_measurement(measurement)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--trainers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="interactions per page")
    parser.add_argument(
        "--idle-repeats", type=int, default=3, help="rounds of the idle visitor, new picture each"
    )
    parser.add_argument("--pause", type=float, default=2.0, help="max seconds between clicks")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="the same load on bench/baseline_image_page.py (one uploader, one picture), "
        "no trainings: how much of the slowdown any Streamlit page would show",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=0,
        help="N >= 1: N replicas behind HAProxy (make serve's launcher); 0: one streamlit run",
    )
    parser.add_argument("--deadline", type=float, default=900, help="stop after this long")
    run_until_deadline(main_async, parser.parse_args())


if __name__ == "__main__":
    main()
