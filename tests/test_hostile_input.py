"""A hostile visitor's links and kernel text: clear messages, literal echoes, nothing breaks.

Each case here once got through: Markdown injected into the app's own warning by a crafted
bookmark, parser exceptions shown as tracebacks, float32 overflow drawing a black map, other
scripts' digits read as numbers, a refusal that did not name the valid choices.
"""

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import open_page
from tests.rendered import assert_literal, shown

CONV = "pages/convolution.py"
POOL = "pages/pooling.py"
INJECTION = "1` **Session expired.** [Click here](http://x/) ![img](http://x/i.png) `"


def warnings(at: AppTest) -> str:
    return shown("\n\n".join(w.value for w in at.warning))


def test_a_crafted_link_cannot_put_markdown_into_the_apps_warning():
    """The bookmark from the report: its bold text, link and image show as plain characters."""
    at = open_page(CONV, timeout=30, stride=INJECTION)
    assert len(at.warning) == 1
    assert_literal(at.warning[0].value, f"stride={INJECTION}")
    assert at.number_input(key="conv_stride").value == 1


@pytest.mark.parametrize("name", ["kernel", "sample", "padding"])
def test_a_huge_link_value_is_echoed_shortened(name):
    """A 10,000-character value is named in under 400 characters, with its length."""
    at = open_page(CONV, timeout=30, **{name: "**9**" * 2000})
    text = warnings(at)
    assert f"{name}=**9**" in text and "(10,000 characters)" in text
    assert len(text) < 400


@pytest.mark.parametrize(
    ("kernel", "reason"),
    [
        ("[[" + "9" * 400 + "]]", "too large to compute with"),
        ("[[" + "9" * 5000 + "]]", "number too long to read"),
        ("[" * 3000 + "]" * 3000, "nested too deeply"),
        ("1e38 1e38 1e38; 1e38 1e38 1e38; 1e38 1e38 1e38", "must lie between"),
        ("; ".join([" ".join(["1e308"] * 15)] * 15), "must lie between"),
        (";;;", "has no numbers"),
    ],
    ids=["400-digits", "5000-digits", "deep-json", "float32-overflow", "1e308", "separators"],
)
def test_a_kernel_that_cannot_be_used_falls_back_from_the_link_and_from_the_text_box(
    kernel, reason
):
    """From the URL: a warning and the default kernel; typed: an error, last kernel kept."""
    at = open_page(CONV, timeout=30, kernel=kernel)
    assert reason in warnings(at)
    assert at.selectbox(key="conv_preset").value == "Sobel x"
    at.selectbox(key="conv_preset").set_value("Box blur").run()
    at.text_area(key="conv_kernel_text").set_value(kernel).run()
    assert not at.exception
    error = shown(at.error[0].value)
    assert reason in error and "Still using the last valid kernel" in error
    assert at.query_params["kernel"] == "Box blur"
    assert "nan" not in " ".join(m.value for m in at.markdown).lower()


def test_kernel_text_with_markdown_is_echoed_literally():
    """The parser quotes the bad entry; the error box shows it as typed."""
    at = open_page(CONV, timeout=30)
    at.text_area(key="conv_kernel_text").set_value("1 **x**[y](http://x/)").run()
    assert_literal(at.error[0].value, "entry 2 is not a number: '**x**[y](http://x/)'")


def test_padding_that_is_not_a_choice_names_every_valid_one():
    """`padding=banana` says valid, same, or a number of pixels."""
    at = open_page(CONV, timeout=30, padding="banana")
    assert "Use valid, same, or a whole number of pixels from 0 to 20." in warnings(at)


@pytest.mark.parametrize(
    ("page", "query", "key", "default"),
    [
        (CONV, {"stride": "٣"}, "conv_stride", 1),  # Arabic-Indic digit three
        (CONV, {"dilation": "२"}, "conv_dilation", 1),  # Devanagari two
        (CONV, {"stride": " 2"}, "conv_stride", 1),
        (POOL, {"dx": "٣"}, "pool_dx", 1),
        (POOL, {"size": "٣"}, "pool_size", 2),
        (POOL, {"dy": "+2"}, "pool_dy", 0),
    ],
)
def test_link_numbers_are_ascii_digits_only(page, query, key, default):
    """Python's int() reads other scripts' digits and spaces; a link's number must not."""
    at = open_page(page, timeout=60, **query)
    assert "Use a whole number from" in warnings(at)
    widget = at.number_input if page == CONV else at.slider
    assert widget(key=key).value == default


@pytest.mark.parametrize("value", [1e38, -1e308, 2e6])
def test_a_grid_cell_beyond_the_range_is_refused_and_the_last_kernel_kept(value):
    """The grid goes through the same check as typed text (1e38 overflowed float32 maps)."""
    at = open_page(CONV, timeout=30)
    version = at.session_state["conv_grid_version"]
    at.session_state[f"conv_grid_{version}"] = {
        "edited_rows": {0: {"2": value}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    error = shown(at.error[0].value)
    assert "Row 1, entry 3 is" in error and "must lie between" in error
    assert at.query_params["kernel"] == "Sobel x"


def test_normalising_cannot_push_entries_out_of_range():
    """A kernel summing to nearly 0 is not scaled into entries beyond ±1e6."""
    at = open_page(CONV, timeout=30)
    at.text_area(key="conv_kernel_text").set_value("1000 -999.9999").run()
    at.button(key="conv_normalise").click().run()
    assert not at.exception
    assert "must lie between" in shown(at.error[0].value)
    assert at.query_params["kernel"] == "1000 -1000"


def test_the_article_shift_survives_a_run_that_lost_its_choice():
    """Regression: a run racing a slow upload got None from the required segmented control,
    and ``ARTICLE_SHIFTS[None]`` showed an exception box on every later run."""
    at = open_page(POOL, timeout=60)
    at.session_state["pool_article"] = None
    at.run()
    assert not at.exception
    assert at.query_params["article"] == "1 pixel right"
