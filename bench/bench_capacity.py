"""Benchmark: how many visitors the app serves through the load balancer, 1 and 2 replicas.

The load benchmark's visitors (``bench/bench_load.py``: each its own Streamlit session over the
websocket protocol, uploading its own picture, changing kernels and shifts, checked for leaks)
pointed at HAProxy in front of N replicas with sticky sessions, started by ``make serve``'s own
launcher (``deploy/serve.py``). Every workshop (one per ``--replicas`` value) is started once
and stays up all along, so the phases alternate between them with nothing restarted; before
each phase the replicas' processes (training workers included) must have gone quiet.

1. **Idle**: one visitor's rounds per workshop (``bench_load``'s idle phase): the reference of
   the p95 ratio.
2. **Matrix** (``--matrix``, default 20 and 40 visitors, ``--trainers`` trainings each): every
   count measured ``--alternations`` times on each workshop in turn (1, 2, 1, 2 replicas …):
   p50/p95, p95 ratio to idle, errors, leaks between sessions (must be 0), uploads that came
   back (each upload is a PUT that must reach the replica holding its session).
3. **Curve** (``--curve``, default 10, 20, 40, 60): p95 against visitors for each workshop
   (counts already in the matrix reuse its first measurement), and the visitors per core at
   which the p95 stays within ``--limit`` (1 s): interpolated between the measured counts.

Target (issue 18): with 2 replicas the 20-visitor p95 ratio at most half of one replica's.
Run (the whole thing takes ~15-25 minutes on a quiet 2-core machine):
  .venv/bin/python bench/bench_capacity.py
Smoke test: .venv/bin/python bench/bench_capacity.py --matrix 2 --curve 2,4 --rounds 1 \\
  --idle-repeats 1 --trainers 0 --pause 0.5
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import load_average, run_until_deadline  # noqa: E402
from bench._procs import cpu_seconds, process_tree  # noqa: E402
from bench.bench_load import (  # noqa: E402
    Measurement,
    _median,
    _p95,
    measure,
    measure_idle,
    print_measurement,
    serve,
)


def _counts(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n.strip()]


def tree_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by ``pids`` and their descendants alive now (the workers)."""
    total = 0.0
    for pid in pids:
        for member in process_tree(pid):
            try:
                total += cpu_seconds(member)
            except (OSError, IndexError):
                pass
    return total


def wait_quiet(pids: list[int], limit: float, window: float = 2.0, share: float = 0.1) -> float:
    """Wait (up to ``limit`` s) until the processes use under ``share`` of a core over
    ``window`` seconds: the last phase's trainings and runs are over. Returns the wait."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = tree_cpu(pids)
        time.sleep(window)
        if tree_cpu(pids) - before < share * window:
            break
    return time.monotonic() - started


def per_core(points: list[tuple[int, float]], limit: float) -> float | None:
    """Visitors per core at which the p95 reaches ``limit``, interpolated linearly between the
    measured (visitors, p95) ``points``; None if even the smallest count was over it (and the
    largest count, with a '≥', if none was)."""
    points = sorted(points)
    if not points or points[0][1] > limit:
        return None
    best = float(points[0][0])
    for (n0, p0), (n1, p1) in zip(points, points[1:]):
        if p1 <= limit:
            best = float(n1)
            continue
        best = n0 + (n1 - n0) * (limit - p0) / (p1 - p0) if p1 != p0 else float(n0)
        break
    return best / (os.cpu_count() or 1)


def summary_row(m: Measurement) -> str:
    done, tried = m.uploads
    return (
        f"{m.viewers:8d} {m.replicas:8d} {_median(m.loaded):7.2f} {_p95(m.loaded):7.2f} "
        f"{_p95(m.idle.latencies):7.2f} {m.ratio:7.2f} {len(m.errors):6d} {len(m.leaks):6d} "
        f"{done:4d}/{tried:<4d} {m.server_cpu / m.load_seconds:6.2f}"
    )


HEADER = (
    f"{'visitors':>8} {'replicas':>8} {'p50 s':>7} {'p95 s':>7} {'idle95':>7} {'ratio':>7} "
    f"{'errors':>6} {'leaks':>6} {'uploads':>9} {'cores':>6}"
)


async def main_async(args) -> None:
    matrix, curve = _counts(args.matrix), _counts(args.curve)
    replicas = _counts(args.replicas)
    counts = sorted(set(matrix) | set(curve))
    results: list[Measurement] = []
    with ExitStack() as stack:
        servers = {n: stack.enter_context(serve(replicas=n)) for n in replicas}
        idle = {}
        for n, server in servers.items():
            idle[n] = await measure_idle(server, args)
            print(f"idle, {n} replica(s): p95 {_p95(idle[n].latencies):.2f} s", flush=True)
        for count in counts:
            for turn in range(args.alternations if count in matrix else 1):
                for n, server in servers.items():
                    waited = wait_quiet(server.pids, args.settle)
                    print(
                        f"\n--- {count} visitors + {args.trainers} trainings, {n} replica(s), "
                        f"turn {turn + 1} (waited {waited:.0f} s for quiet; load "
                        f"{load_average()})",
                        flush=True,
                    )
                    m = await measure(server, args, count, args.trainers, idle[n])
                    print_measurement(m)
                    results.append(m)
    print(f"\n=== matrix (all turns, alternated), {os.cpu_count()} cores")
    print(HEADER)
    for m in results:
        if m.viewers in matrix:
            print(summary_row(m))
    for count in matrix:
        ratios = {
            n: _median([m.ratio for m in results if m.viewers == count and m.replicas == n])
            for n in replicas
        }
        if 1 in ratios and 2 in ratios:
            print(
                f"{count} visitors: median p95 ratio 2 replicas / 1 replica "
                f"{ratios[2] / ratios[1]:.2f} (target <= 0.50)"
            )
    print(f"\n=== capacity curve: p95 (s) against visitors; limit {args.limit:.1f} s")
    print(f"{'visitors':>8} " + " ".join(f"{f'{n} replica(s)':>13}" for n in replicas))
    firsts = {}
    for m in results:
        firsts.setdefault((m.viewers, m.replicas), m)
    for count in curve:
        row = " ".join(f"{_p95(firsts[(count, n)].loaded):13.2f}" for n in replicas)
        print(f"{count:8d} {row}")
    for n in replicas:
        points = [(c, _p95(firsts[(c, n)].loaded)) for c in curve]
        found = per_core(points, args.limit)
        over = all(p <= args.limit for _, p in points)
        text = "none (over the limit at the smallest count)" if found is None else (
            f"{'>= ' if over else ''}{found:.1f}")  # fmt: skip
        print(f"{n} replica(s): visitors per core with p95 <= {args.limit:.1f} s: {text}")
    bad = [m for m in results if m.leaks or m.uploads[0] != m.uploads[1]]
    print(f"phases with a leak or a lost upload: {len(bad)} of {len(results)} (must be 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", default="20,40", help="visitor counts measured alternately")
    parser.add_argument("--curve", default="10,20,40,60", help="visitor counts of the curve")
    parser.add_argument("--replicas", default="1,2", help="workshops to compare")
    parser.add_argument("--alternations", type=int, default=2, help="turns per matrix count")
    parser.add_argument("--trainers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="interactions per page")
    parser.add_argument("--idle-repeats", type=int, default=3, help="idle visitor's rounds")
    parser.add_argument("--pause", type=float, default=2.0, help="max seconds between clicks")
    parser.add_argument("--limit", type=float, default=1.0, help="p95 limit of the capacity")
    parser.add_argument("--settle", type=float, default=90, help="max wait for quiet, s")
    parser.add_argument("--deadline", type=float, default=3600, help="stop after this long")
    run_until_deadline(main_async, parser.parse_args())


if __name__ == "__main__":
    main()
