"""TensorFlow costs seconds and ~0.8 GB: the serving process never imports it (issue 13).

Every page, the Inside page's model maths included, runs on the core's NumPy; TensorFlow is
loaded only by training worker processes. The browser tests check the running server's mapped
libraries (tests/browser/helpers.py::heavy_libraries); here one fresh interpreter runs every
page in turn and lists the heavy modules after each (no page before it had loaded any, so the
first page to import one is the page named; one interpreter start, not one per page)."""

import subprocess
import sys
import textwrap

import pytest

from pages._registry import PAGES

_PROBE = textwrap.dedent(
    """
    import sys
    from streamlit.testing.v1 import AppTest
    for page in {pages!r}:
        at = AppTest.from_file({entry!r}, default_timeout=60).run()
        if page:
            at.switch_page(page).run()
        heavy = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
        failed = "exception" if at.exception else ""
        print(f"HEAVY:{{page}}:{{failed}}:" + ",".join(heavy), flush=True)
    """
)


def _heavy_modules_after_running(entry: str, pages: list[str]) -> dict[str, str]:
    """Run the app's entry (then switch to each of `pages` in turn, each in a new AppTest) in
    one fresh interpreter; {page: heavy modules loaded by then, or "exception"}."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(entry=entry, pages=pages)],
        capture_output=True,
        text=True,
        timeout=120 * len(pages),
        check=True,
    )
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith("HEAVY:"):
            page, failed, heavy = line[6:].rsplit(":", 2)
            found[page] = failed or heavy
    assert list(found) == pages, result.stdout + result.stderr
    return found


@pytest.fixture(scope="module")
def heavy_after_each_page(default_trained):
    """Every page run in one fresh interpreter, the Inside page reading a digit with the default
    model (cached on disk by ``default_trained``): {page path: heavy modules loaded by then}."""
    return _heavy_modules_after_running("app.py", [p.path for p in PAGES])


@pytest.mark.slow
@pytest.mark.parametrize("path", [p.path for p in PAGES], ids=lambda p: p)
def test_page_runs_without_importing_tensorflow(path, heavy_after_each_page):
    """Opening the app on this page, in a fresh interpreter, leaves tensorflow unimported."""
    assert heavy_after_each_page[path] == ""


def test_core_package_import_is_light():
    """`import cnnviz` and its image-side modules do not pull in TensorFlow or Streamlit."""
    code = (
        "import sys, cnnviz, cnnviz.maths.ops, cnnviz.maths.kernels, cnnviz.pictures.images, "
        "cnnviz.pictures, "
        "cnnviz.maths.activations; print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_probe_detects_tensorflow_when_a_page_imports_it(tmp_path):
    """The check itself works: a page that imports keras is reported. (A stand-in `keras`
    module next to the page: the probe looks at what the page imported, and the real one
    would cost ~10 s of TensorFlow import.)"""
    (tmp_path / "keras.py").write_text('"""A stand-in for Keras."""\n')
    page = tmp_path / "heavy_page.py"
    page.write_text(
        f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\n"
        "import keras\nimport streamlit as st\nst.write(keras.__doc__)\n"
    )
    assert _heavy_modules_after_running(str(page), [""]) == {"": "keras"}


def test_no_core_module_imports_streamlit():
    """The core stays plain Python: no module under cnnviz/ imports streamlit, anywhere."""
    import ast
    from pathlib import Path

    offenders = []
    for path in Path("cnnviz").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}: {n}" for n in names if n.split(".")[0] == "streamlit"]
    assert offenders == []


def test_heavy_libraries_finds_a_mapped_tensorflow_file(tmp_path):
    """The browser tests' check works: a file whose path names TensorFlow, mapped into a
    process as an imported library is, is reported; the process's other files are not."""
    from tests.browser.helpers import heavy_libraries

    fake = tmp_path / "libtensorflow_framework.so.2"
    fake.write_bytes(b"\0" * 4096)
    code = (
        "import mmap, sys\n"
        f"handle = open({str(fake)!r}, 'rb')\n"
        "kept = mmap.mmap(handle.fileno(), 0, prot=mmap.PROT_READ)\n"
        "print('mapped', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline() == "mapped\n"
        assert heavy_libraries(child.pid) == [str(fake)]
    finally:
        child.communicate("\n", timeout=10)
