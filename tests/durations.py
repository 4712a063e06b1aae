"""Write tests/durations.json, the seconds each test file took, from a JUnit report of a full run.

The suite's conftest hands the files to xdist longest first (a long file started last would run
alone at the end, with the other workers idle). Refresh it after adding or changing slow tests:
``make durations`` runs every test with a JUnit report and calls this on it.

Run: .venv/bin/python tests/durations.py artifacts/junit.xml
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = Path(__file__).with_name("durations.json")


def file_of(classname: str) -> str | None:
    """The test file of a JUnit ``classname`` (``tests.browser.test_x.TestY``), if it exists."""
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        path = Path(*parts[:end]).with_suffix(".py")
        if (ROOT / path).is_file():
            return path.as_posix()
    return None


def file_seconds(report: Path) -> dict[str, float]:
    """Seconds per test file (setup, call and teardown of its tests), longest first."""
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).iter("testcase"):
        name = file_of(case.get("classname", ""))
        if name is not None:
            seconds[name] += float(case.get("time", 0))
    return {name: round(s, 1) for name, s in sorted(seconds.items(), key=lambda kv: -kv[1])}


if __name__ == "__main__":
    table = file_seconds(Path(sys.argv[1]))
    TABLE.write_text(json.dumps(table, indent=1) + "\n")
    print(f"{TABLE.relative_to(ROOT)}: {len(table)} files, {sum(table.values()):.0f} s in all")
