"""The app's entry point keeps Streamlit's after-run garbage collection short."""

import subprocess
import sys
import textwrap

_PROBE = textwrap.dedent(
    """
    import gc
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file("app.py", default_timeout=60).run()
    assert not at.exception, at.exception
    first = gc.get_freeze_count()
    at.run()
    print("FROZEN", first, gc.get_freeze_count())
    """
)


def test_startup_heap_is_frozen_once_per_process():
    """Regression: a full GC after every run (80–90 ms on this heap) held up the Pooling page's
    pictures. The first run freezes the startup objects; later runs do not freeze again (that
    would keep reference cycles of live sessions from ever being collected)."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    line = [text for text in result.stdout.splitlines() if text.startswith("FROZEN")][-1]
    first, second = map(int, line.split()[1:])
    assert first > 10_000
    assert second <= first  # not frozen again (frozen objects may still be freed, by refcount)
