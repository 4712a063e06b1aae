"""The core's layers only look down (maths < pictures < learning < lessons < pages); pages are thin.

Read from the source with :mod:`ast` (every ``import`` anywhere in a module, also inside
functions), so a new import that breaks the layering fails here, whatever it is for.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What each part of the core may import from cnnviz (itself, the parts below it, _validate).
ALLOWED = {
    "maths": {"maths"},
    "pictures": {"pictures", "maths"},
    "learning": {"learning", "pictures", "maths"},
    "lessons": {"lessons", "learning", "pictures", "maths"},
}
MODULES = sorted((ROOT / "cnnviz").rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, as dotted names (``from a.b import c`` gives ``a.b.c``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _part(path: Path) -> str:
    return path.relative_to(ROOT / "cnnviz").parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_core_module_imports_only_the_layers_below_it(path):
    part = _part(path)
    ours = {name.split(".")[1] for name in _imports(path) if name.startswith("cnnviz.")}
    ours -= {"_validate", "__version__"}
    if part in ALLOWED:
        assert ours <= ALLOWED[part], f"{part} imports {sorted(ours - ALLOWED[part])}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_never_imports_streamlit_or_the_pages(path):
    roots = {name.split(".")[0] for name in _imports(path)}
    assert not roots & {"streamlit", "pages"}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    """The reader finds imports at any depth, so a lazy import cannot slip past the layering."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from cnnviz.lessons.train import plan\n    import streamlit\n")
    assert _imports(module) == {"cnnviz.lessons.train.plan", "streamlit"}


PAGES = sorted(p for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_a_page_is_a_thin_renderer_of_its_lesson(path):
    """A page reads its controls, calls its lesson and draws: short, and never the core's maths."""
    lines = path.read_text().splitlines()
    assert len(lines) <= 250, f"{path.name} has {len(lines)} lines"
    # The page may name the core's constants (a radio's options), not call its maths.
    maths = ("cnnviz.maths.ops.", "cnnviz.learning.nn.")
    deep = {n for n in _imports(path) if n.startswith(maths) and not n.rsplit(".", 1)[1].isupper()}
    assert not deep, f"{path.name} computes with {sorted(deep)} itself; its lesson should"
