"""What the page benchmarks share: how the baseline page's server is started."""

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The baseline is a plain Streamlit page: run it with Streamlit's own runner setting, not the
#: app's. The app switches off Streamlit's full garbage collection after every run
#: (.streamlit/config.toml) and freezes its startup heap (app.py) — its own tuning, which a
#: plain page does not have. Pass ``--same-config`` to give the baseline the app's setting too.
BASELINE_ENV = {"PYTHONPATH": str(ROOT), "STREAMLIT_RUNNER_POST_SCRIPT_GC": "true"}
SAME_CONFIG_ENV = {"PYTHONPATH": str(ROOT)}


def add_baseline_option(parser: argparse.ArgumentParser) -> None:
    """The ``--same-config`` switch of both page benchmarks."""
    parser.add_argument(
        "--same-config",
        action="store_true",
        help="run the baseline with the app's runner setting (no GC after each run)",
    )


def baseline_env(args: argparse.Namespace) -> dict[str, str]:
    """The environment of the baseline page's server for these arguments."""
    return SAME_CONFIG_ENV if args.same_config else BASELINE_ENV
