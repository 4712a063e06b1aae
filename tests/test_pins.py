"""What Community Cloud installs is exactly what the tests ran on.

requirements.txt and requirements-dev.txt are written by `make pins` from the *.in files; these
tests check that every line is an exact pin, that the *.in files' choices all made it in, and
that the environment running the tests holds precisely the pinned versions.
"""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def requirements(name: str) -> list[Requirement]:
    """The requirement lines of a requirements file (comments, options and includes skipped)."""
    lines = (line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_every_locked_requirement_is_an_exact_pin(lock):
    """`==` and a full version on every line: no range a new release could fall into."""
    pins = requirements(lock)
    assert len(pins) > 50
    for pin in pins:
        (spec,) = pin.specifier
        assert spec.operator == "==" and "*" not in spec.version, str(pin)


@pytest.mark.parametrize(
    ("source", "lock"),
    [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")],
)
def test_the_lock_holds_every_chosen_package_within_its_bounds(source, lock):
    """Each package named in the .in file is pinned, at a version its bounds allow."""
    pinned = {}
    for pin in requirements(lock):
        pinned.setdefault(canonicalize_name(pin.name), []).append(next(iter(pin.specifier)))
    for wanted in requirements(source):
        specs = pinned.get(canonicalize_name(wanted.name))
        assert specs, f"{wanted.name} is not in {lock}"
        assert any(wanted.specifier.contains(s.version) for s in specs), (str(wanted), specs)


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_the_test_environment_has_exactly_the_pinned_versions(lock):
    """Every pin that applies to this machine is installed at that version."""
    for pin in requirements(lock):
        if pin.marker is not None and not pin.marker.evaluate():
            continue
        try:
            installed = version(pin.name)
        except PackageNotFoundError:
            if pin.name in ("setuptools", "wheel"):  # pip may leave these out of a venv
                continue
            raise
        assert pin.specifier.contains(installed), f"{pin} but {installed} is installed"
