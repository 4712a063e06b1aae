"""The "What the filters see" page's controls: the digit, a layer and cell, the occlusion
patch, a filter, and the feature picture's target.

Every setting is declared once (:func:`settings`) and kept just before its widget is drawn
(``pages._state.keep``). Settings whose range depends on the model (a layer, a cell, a filter)
are moved into range with ``put`` when the model changed under them.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.learning.model import ModelSpec
from cnnviz.lessons import filters as lesson
from pages._models import get_dataset
from pages._state import Setting, keep, one_of, put, whole_number

PAGE = "filters"
FILLS = {"grey": 0.5, "black": 0.0, "white": 1.0}
FILL_NAMES = {"grey": "grey (0.5)", "black": "black (background, 0)", "white": "white (ink, 1)"}
TARGETS = {"filter": "the filter picked above", "class": "a digit class"}


def settings() -> dict[str, Setting]:
    """Every control's setting by widget key; the main ones also travel in the link."""
    count = len(get_dataset("sample").x_test)
    return {
        s.key: s
        for s in [
            Setting("filters_digit", 0, "digit", whole_number(0, count - 1), "test digit number"),
            Setting("filters_layer", 0, "layer", whole_number(0, 8), "layer"),
            Setting("filters_row", 0, "row", whole_number(0, 25), "row"),
            Setting("filters_col", 0, "col", whole_number(0, 25), "column"),
            Setting("filters_patch", 4, "patch", whole_number(2, 14), "patch size"),
            Setting("filters_stride", 2, "stride", whole_number(1, 7), "stride"),
            Setting("filters_fill", "grey", "fill", one_of(list(FILLS)), "fill"),
            Setting(
                "filters_explain", "true", "explain", one_of(list(lesson.CLASS_CHOICES)), "class"
            ),
            Setting("filters_top_layer", 0, "top_layer", whole_number(0, 8), "layer"),
            Setting("filters_filter", 0, "filter", whole_number(0, 255), "filter"),
            Setting("filters_target", "filter", None),
            Setting("filters_class", 3, None),
        ]
    }


def _keep(*keys: str) -> None:
    declared = settings()
    keep(PAGE, [declared[key] for key in keys])


def _in_range(key: str, allowed) -> None:
    """Move a kept value that this model does not have to the nearest it has."""
    value = st.session_state[key]
    if value not in allowed:
        put(PAGE, {key: min(allowed, key=lambda a: abs(a - value))})


def digit_ui() -> int:
    """Which test digit (by number)."""
    count = len(get_dataset("sample").x_test)
    _keep("filters_digit")
    return int(
        st.number_input(
            f"Test digit number (0 to {count - 1})",
            min_value=0,
            max_value=count - 1,
            key="filters_digit",
        )
    )


def _layer_select(key: str, spec: ModelSpec, label: str) -> int:
    options = lesson.layer_options(spec)
    _keep(key)
    _in_range(key, list(options))
    return int(st.selectbox(label, list(options), format_func=options.get, key=key))


def field_ui(spec: ModelSpec) -> tuple[int, tuple[int, int]]:
    """A layer with maps and one of its cells, by numbers."""
    layer = _layer_select("filters_layer", spec, "Layer")
    side = lesson.map_side(spec, layer)
    _keep("filters_row", "filters_col")
    for key in ("filters_row", "filters_col"):
        _in_range(key, range(side))
    row, col = st.columns(2)
    r = row.number_input(f"Row (0 to {side - 1})", 0, side - 1, key="filters_row")
    c = col.number_input(f"Column (0 to {side - 1})", 0, side - 1, key="filters_col")
    return layer, (int(r), int(c))


def occlusion_ui() -> tuple[int, int, float, str]:
    """The patch's size, stride and fill, and whose probability the map shows."""
    _keep("filters_patch", "filters_stride", "filters_fill", "filters_explain")
    size, step = st.columns(2)
    patch = size.slider("Patch size (pixels)", 2, 14, key="filters_patch")
    stride = step.slider("Stride (pixels)", 1, 7, key="filters_stride")
    fill = st.radio(
        "Patch colour", list(FILLS), format_func=FILL_NAMES.get, horizontal=True,
        key="filters_fill",
    )  # fmt: skip
    which = st.radio(
        "Probability of", list(lesson.CLASS_CHOICES), format_func=lesson.CLASS_CHOICES.get,
        horizontal=True, key="filters_explain",
    )  # fmt: skip
    return int(patch), int(stride), FILLS[fill], which


def filter_ui(spec: ModelSpec) -> tuple[int, int]:
    """A layer with maps and one of its filters."""
    layer = _layer_select("filters_top_layer", spec, "Layer to look into")
    count = lesson.filter_count(spec, layer)
    _keep("filters_filter")
    _in_range("filters_filter", range(count))
    f = st.number_input(f"Filter (0 to {count - 1})", 0, count - 1, key="filters_filter")
    return layer, int(f)


def feature_ui() -> tuple[str, int]:
    """What the feature picture excites: the filter picked above, or a class."""
    _keep("filters_target", "filters_class")
    what, which = st.columns(2)
    target = what.radio("Excite", list(TARGETS), format_func=TARGETS.get, key="filters_target")
    digit = which.number_input("Digit class", 0, 9, key="filters_class",
                               disabled=target != "class")  # fmt: skip
    return target, int(digit)
