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

Run: .venv/bin/python bench/bench_load.py [--viewers 20] [--trainers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import BASELINE_ENV  # noqa: E402
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


async def main_async(args) -> None:
    # Each visitor's uploads and picture downloads run in threads: enough for all at once, so
    # that this client never queues them behind each other.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=64))
    if args.baseline:
        script, env, visit = "bench/baseline_image_page.py", BASELINE_ENV, run_baseline_visitor
        args.trainers = 0
    else:
        script, env, visit = "app.py", None, run_visitor
    with streamlit_server(script, env=env) as url:
        pid = server_pid(int(url.rsplit(":", 1)[1]))
        # Warm-up: the first visit builds caches (samples, thumbnails) for everyone.
        await visit(url, Visitor(99), rounds=1, pause=0)
        # The idle visitor does its round several times, each time with a new picture of its
        # size (nothing cached): more samples, as the p95 of 8 would simply be their maximum.
        idle = Visitor(0)
        for variant in range(args.idle_repeats):
            again = Visitor(0, variant=variant)
            await visit(url, again, rounds=args.rounds, pause=args.pause)
            for name in ("latencies", "kinds", "errors", "leaks"):
                getattr(idle, name).extend(getattr(again, name))
        memory_before = memory_mb(pid, "VmRSS")

        stop = asyncio.Event()
        trainers = [asyncio.create_task(run_trainer(url, i, stop)) for i in range(args.trainers)]
        await asyncio.sleep(3 if args.trainers else 0)  # let the trainings get going
        visitors = [Visitor(i + 1) for i in range(args.viewers)]
        sampler = TreeSampler(pid)
        sampler.start()
        started, cpu_started = time.perf_counter(), cpu_seconds(pid)
        await asyncio.gather(
            *(visit(url, v, rounds=args.rounds, pause=args.pause) for v in visitors)
        )
        load_seconds = time.perf_counter() - started
        server_cpu = cpu_seconds(pid) - cpu_started
        stop.set()
        trainer_errors = [e for errors in await asyncio.gather(*trainers) for e in errors]
        sampler.stop()
        peak = memory_mb(pid, "VmHWM")

    loaded = [t for v in visitors for t in v.latencies]
    errors = [e for v in visitors for e in v.errors] + idle.errors + trainer_errors
    leaks = [e for v in visitors for e in v.leaks] + idle.leaks
    print(f"{'phase':>28} {'n':>4} {'median s':>9} {'p95 s':>7}")
    print(
        f"{'idle: 1 visitor':>28} {len(idle.latencies):4d} "
        f"{_median(idle.latencies):9.2f} {_p95(idle.latencies):7.2f}"
    )
    label = f"load: {args.viewers} visitors + {args.trainers} training"
    print(f"{label:>28} {len(loaded):4d} {_median(loaded):9.2f} {_p95(loaded):7.2f}")
    for kind in ("upload", "kernel", "shift"):
        mine = [t for v in [idle] for t, k in zip(v.latencies, v.kinds) if k == kind]
        theirs = [t for v in visitors for t, k in zip(v.latencies, v.kinds) if k == kind]
        print(
            f"{'  ' + kind:>28} idle {_median(mine):5.2f} / {_p95(mine):5.2f}  "
            f"load {_median(theirs):5.2f} / {_p95(theirs):5.2f}  (median / p95 s)"
        )
    ratio = _p95(loaded) / _p95(idle.latencies)
    print(
        f"p95 ratio load / idle: {ratio:.2f} (target <= 3.00); load phase took {load_seconds:.0f} s"
    )
    print(
        f"server CPU during the load: {server_cpu:.0f} s in {load_seconds:.0f} s "
        f"({server_cpu / load_seconds:.2f} of {os.cpu_count()} cores)"
    )
    print(
        f"server process: {memory_before:.0f} MB before the load, peak (VmHWM) {peak:.0f} MB; "
        f"with its training workers (up to {sampler.max_processes} processes): "
        f"max RSS sum {sampler.max_rss:.0f} MB, max PSS sum {sampler.max_pss:.0f} MB"
    )
    print(f"errors: {len(errors)}; sessions that saw another's picture or kernel: {len(leaks)}")
    for line in (errors + leaks)[:20]:
        print("  ", line)


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
    parser.add_argument("--deadline", type=float, default=900, help="stop after this long")
    args = parser.parse_args()
    try:
        asyncio.run(asyncio.wait_for(main_async(args), timeout=args.deadline))
    except TimeoutError:
        print(f"stopped: the run took longer than --deadline {args.deadline:.0f} s")
        sys.exit(1)


if __name__ == "__main__":
    main()
