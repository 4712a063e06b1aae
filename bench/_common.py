"""What the page benchmarks share: how the baseline page's server is started."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The baseline is a plain Streamlit page: run it with Streamlit's own runner setting, not the
#: app's. The app switches off Streamlit's full garbage collection after every run
#: (.streamlit/config.toml) and freezes its startup heap (app.py) — its own tuning, which a
#: plain page does not have. Pass ``--same-config`` to give the baseline the app's setting too.
BASELINE_ENV = {"PYTHONPATH": str(ROOT), "STREAMLIT_RUNNER_POST_SCRIPT_GC": "true"}
SAME_CONFIG_ENV = {"PYTHONPATH": str(ROOT)}
