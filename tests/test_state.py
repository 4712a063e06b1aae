"""pages._state: a setting's first value (kept copy, else link, else default), and the link."""

import pytest
from streamlit.testing.v1 import AppTest

from pages._state import either, on_off, one_of, whole_number


def _binder_page():
    import streamlit as st

    from pages._state import Setting, keep, to_link, whole_number

    if st.session_state.get("elsewhere"):  # as if the visitor were on another page
        st.write("another page")
        st.stop()
    keep("t", [Setting("t_stride", 1, "stride", whole_number(1, 8), "stride")])
    stride = st.slider("Stride", 1, 8, key="t_stride")
    to_link({"stride": stride, "gone": None})


def _link(at: AppTest, name: str) -> list[str]:
    """Every value of the link's parameter ``name`` (AppTest gives one as a plain string)."""
    value = at.query_params[name]
    return value if isinstance(value, list) else [value]


def _open(**query) -> AppTest:
    at = AppTest.from_function(_binder_page, default_timeout=30)  # a loaded CI box
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def test_the_link_gives_the_first_value_and_follows_the_widget():
    at = _open(stride="3")
    assert at.slider(key="t_stride").value == 3
    at.slider(key="t_stride").set_value(5).run()
    assert _link(at, "stride") == ["5"]


@pytest.mark.parametrize("raw", ["9", "abc", "٣", "**3**", "1" * 400])
def test_a_bad_link_value_is_named_literally_and_the_default_used(raw):
    at = _open(stride=raw)
    assert at.slider(key="t_stride").value == 1
    (warning,) = at.warning
    assert "is not a valid stride, so the default is used" in warning.value
    assert _link(at, "stride") == ["1"]  # the link now says what is in use


def test_a_repeated_parameter_is_rewritten_as_the_one_in_use():
    at = _open(stride=["abc", "2"])
    assert at.slider(key="t_stride").value == 2
    assert _link(at, "stride") == ["2"]


def test_a_parameter_set_to_none_is_removed_from_the_link():
    at = _open(gone="x")
    assert "gone" not in at.query_params


def test_the_copy_kept_when_the_visitor_left_wins_over_the_link():
    """Coming back to a page (its widget forgotten by Streamlit) brings back the kept value."""
    at = AppTest.from_function(_binder_page, default_timeout=30)  # a loaded CI box
    at.query_params["stride"] = "3"
    at.session_state["t__kept"] = {"t_stride": 7}  # what keep() saved on the last visit
    at.run()
    assert at.slider(key="t_stride").value == 7
    assert _link(at, "stride") == ["7"]


def test_a_run_without_the_widget_keeps_the_copy():
    at = _open()
    at.slider(key="t_stride").set_value(6).run()
    at.session_state["elsewhere"] = True
    at.run()
    assert at.session_state["t__kept"] == {"t_stride": 6}


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    [
        (whole_number(-5, 5), "-2", -2),
        (one_of(["max", "average"]), "average", "average"),
        (on_off, "0", False),
        (either(["auto"], 1, 8), "auto", "auto"),
        (either(["valid", "same"], 0, 20, "of pixels"), "20", 20),
    ],
)
def test_each_parser_reads_what_a_person_types(parse, text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (whole_number(1, 8), "9", "Use a whole number from 1 to 8."),
        (whole_number(1, 8), " 3", "Use a whole number from 1 to 8."),
        (whole_number(1, 8), "٣", "Use a whole number from 1 to 8."),
        (one_of(["max", "average"]), "MAX", "Choose one of: max, average."),
        (on_off, "yes", "Use 1 (on) or 0 (off)."),
        (either(["auto"], 1, 8), "0", "Use auto or a whole number from 1 to 8."),
        (
            either(["valid", "same"], 0, 20, "of pixels"),
            "full",
            "Use valid, same, or a whole number of pixels from 0 to 20.",
        ),
    ],
)
def test_each_parser_refuses_in_words_saying_what_is_allowed(parse, text, message):
    with pytest.raises(ValueError) as caught:
        parse(text)
    assert str(caught.value) == message
