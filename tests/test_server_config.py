"""The server settings the app relies on, as Streamlit itself reads them from the repository."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def effective() -> dict[str, str]:
    """Every ``name = value`` line of ``streamlit config show`` run in the repository."""
    shown = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    pairs = (line.split(" = ", 1) for line in shown.splitlines() if " = " in line)
    return {name.strip(): value.strip() for name, value in pairs if not name.startswith("#")}


def test_the_file_watcher_is_off(effective):
    """Nothing is edited while the app serves (`make run` left Streamlit watching every file)."""
    assert effective["fileWatcherType"] == '"none"'
    assert effective["runOnSave"] == "false"


def test_xsrf_protection_stays_on_and_error_details_stay_hidden(effective):
    """A visitor never sees a traceback, and uploads need the session's XSRF token."""
    assert effective["enableXsrfProtection"] == "true"
    assert effective["showErrorDetails"] == '"none"'
