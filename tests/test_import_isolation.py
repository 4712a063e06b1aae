"""TensorFlow costs seconds and ~0.8 GB: the serving process never imports it (issue 13).

Every page, the Inside page's model maths included, runs on the core's NumPy; TensorFlow is
loaded only by training worker processes. The browser tests check the running server's mapped
libraries (tests/browser/helpers.py::heavy_libraries); here each page runs in a fresh
interpreter and its modules are listed."""

import subprocess
import sys
import textwrap

import pytest

from pages._registry import PAGES

_PROBE = textwrap.dedent(
    """
    import sys
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file({entry!r}, default_timeout=60).run()
    if {page!r}:
        at.switch_page({page!r}).run()
    assert not at.exception, at.exception
    heavy = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
    print("HEAVY:" + ",".join(heavy))
    """
)


def _heavy_modules_after_running(entry: str, page: str = "") -> str:
    """Run the app's entry (then switch to `page`) in a fresh interpreter; list heavy modules."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(entry=entry, page=page)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if line.startswith("HEAVY:")][-1][6:]


@pytest.mark.slow
@pytest.mark.parametrize("path", [p.path for p in PAGES], ids=lambda p: p)
def test_page_runs_without_importing_tensorflow(path, default_trained):
    """Opening the app on this page, in a fresh interpreter, leaves tensorflow unimported; the
    Inside page reads a digit with the default model (cached on disk by ``default_trained``)."""
    assert _heavy_modules_after_running("app.py", path) == ""


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
    assert _heavy_modules_after_running(str(page)) == "keras"


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
