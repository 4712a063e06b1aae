"""Reading a server's processes from /proc: its pid, CPU time and memory, workers included.

Trainings run in worker processes (worker), so the app's memory is the server's plus its
workers'. Resident sizes (RSS) count shared pages, e.g. TensorFlow's libraries, once per process;
proportional set sizes (PSS) split each shared page between the processes that map it, so their
sum is what the machine (and a host's memory limit) really pays.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def server_pid(port: int) -> int:
    """The pid of the ``streamlit run`` serving on ``port``."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(cmdline) and str(port).encode() in cmdline:
                return int(proc.name)
    raise RuntimeError(f"no streamlit server on port {port}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int, field_name: str) -> float:
    """A memory line of /proc/PID/status (VmRSS now, VmHWM peak) in MB; nan if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (the server and its training workers)."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(proc.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def tree_memory_mb(pid: int) -> tuple[float, float, int]:
    """(summed RSS, summed PSS, number of processes) of ``pid`` and its descendants, in MB."""
    rss = pss = 0.0
    count = 0
    for member in process_tree(pid):
        try:
            lines = Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        values = {line.split(":")[0]: int(line.split()[1]) for line in lines[1:] if ":" in line}
        rss += values.get("Rss", 0) / 1024
        pss += values.get("Pss", 0) / 1024
        count += 1
    return rss, pss, count


class TreeSampler(threading.Thread):
    """Samples :func:`tree_memory_mb` every ``every`` seconds until :meth:`stop`; keeps maxima."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.max_rss = self.max_pss = 0.0
        self.max_processes = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            rss, pss, count = tree_memory_mb(self.pid)
            self.max_rss, self.max_pss = max(self.max_rss, rss), max(self.max_pss, pss)
            self.max_processes = max(self.max_processes, count)
            self._done.wait(self.every)

    def stop(self) -> None:
        self._done.set()
        self.join()
