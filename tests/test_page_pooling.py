"""The Pooling page, run for real with AppTest: every control by key, its link, what it shows.

What the numbers and sentences say is checked without Streamlit, against SciPy and NumPy, in
``tests/test_lesson_pooling.py``; here the page must show its lesson's views and keep its settings.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz.lessons.pooling import (
    PADDING_NOTE,
    Settings,
    article_view,
    depth_view,
    pooling_view,
    shift_view,
    stack_caption,
    window_view,
)
from cnnviz.maths.invariance import DEPTH_STACKS, depth_curve
from cnnviz.pictures.images import sample_image
from tests.apptest import open_page, rerun, texts
from tests.pictures import png
from tests.test_page_convolution import clickable_picture

PAGE = "pages/pooling.py"


def run_page(**query: str) -> AppTest:
    return open_page(PAGE, timeout=60, **query)


def line(at: AppTest, pattern: str) -> re.Match:
    """The first markdown text matching ``pattern`` (the page's stable result lines)."""
    for text in texts(at):
        match = re.search(pattern, text)
        if match:
            return match
    raise AssertionError(f"nothing matches {pattern!r} in {texts(at)}")


def sizes(at: AppTest) -> tuple[int, int, int, int]:
    m = line(at, r"Feature map: (\d+) × (\d+) → pooled map: (\d+) × (\d+)")
    return tuple(int(g) for g in m.groups())


@pytest.fixture(scope="module")
def first_run() -> AppTest:
    return run_page()


def test_page_opens_with_keras_defaults_and_writes_them_to_the_link(first_run):
    """Cartoon face, eye detector, 2×2 max pool, stride = window: 64×64 → 32×32."""
    at = first_run
    assert at.title[0].value.startswith("Pooling")
    assert sizes(at) == (64, 64, 32, 32)
    assert "Rows: `⌊(64 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = 32`" in line(at, "Rows:").string
    assert at.toggle(key="pool_stride_auto").value is True
    assert at.slider(key="pool_stride").value == 2
    assert dict(at.query_params) | {} == {
        "sample": "Cartoon face",
        "kernel": "Eye detector",
        "relu": "1",
        "mode": "max",
        "size": "2",
        "stride": "auto",
        "padding": "valid",
        "dx": "1",
        "dy": "0",
        "article": "1 pixel right",
        "stack": "Edges, then blur",
        "depth_image": "Camera man",
    }
    assert not at.error and not at.warning


def test_captions_come_from_the_lesson(first_run):
    """Regression: the page wrote the 'same' rule itself and read the stack's description from
    the core's table; both now come from the lesson."""
    captions = [c.value for c in first_run.caption]
    assert PADDING_NOTE in captions
    assert stack_caption("Edges, then blur") in captions
    assert "The image moved; black fills the uncovered edge." in " ".join(captions)  # MapNote


CHANGE = r"Change of the pattern: feature map ([\d.e-]+) → pooled map ([\d.e-]+)"


def test_page_shows_its_lessons_views(first_run):
    """Each section's text is its lesson's (the numbers are checked in test_lesson_pooling)."""
    settings = Settings("Eye detector", True, "max", 2, 2, "valid")
    view = pooling_view(sample_image("Cartoon face"), settings)
    shown = texts(first_run)
    assert view.sizes in shown and view.formula in shown
    assert shift_view(view.stage, settings, 1, 0, view.scale).summary in shown
    assert article_view("1 pixel right").summary in shown
    depth = depth_view(sample_image("Camera man"), "Edges, then blur")
    assert depth.numbers in shown and depth.finding in shown
    assert "Pooling took away" in line(first_run, CHANGE).string
    assert not any("Unchanged" in t for t in shown)


@pytest.mark.slow
def test_article_example_is_identical_then_changed():
    """1 px right: identical; 2 px right and 1 px left: changed, with the count of cells."""
    at = run_page()
    assert line(
        at,
        r"Pooled maps identical: yes \(0 of 16 pooled cells changed\)\. Change of the "
        r"pattern: feature map 1\.00 → pooled map 0\.00",
    )
    at.segmented_control(key="pool_article").set_value("2 pixels right")
    rerun(at)
    assert line(at, r"Pooled maps identical: no \(2 of 16 pooled cells changed\).* 0\.50$")
    assert at.query_params["article"] == "2 pixels right"
    at.segmented_control(key="pool_article").set_value("1 pixel left")
    rerun(at)
    assert line(at, r"Pooled maps identical: no \(2 of 16")
    assert article_view("1 pixel left").summary in texts(at)
    assert at.query_params["article"] == "1 pixel left"


@pytest.mark.slow
def test_depth_controls_switch_stack_and_image():
    """Another stack and the picked image: the numbers follow the core."""
    at = run_page()
    at.selectbox(key="pool_stack").set_value("Edges at every stage")
    at.selectbox(key="pool_depth_image").set_value("The image picked above")
    rerun(at)
    curve = depth_curve(
        sample_image("Cartoon face"), kernels=DEPTH_STACKS["Edges at every stage"].kernels
    )
    m = line(at, r"at 1 px: ([\d.]+), ([\d.]+), ([\d.]+)")
    assert [float(g) for g in m.groups()] == [round(v, 2) for v in curve.change[:, 1]]
    assert line(at, r"did \*\*not\*\* always change less")
    assert at.query_params["stack"] == "Edges at every stage"


@pytest.mark.slow
def test_pooling_controls_change_the_sizes_and_the_formula():
    """Window 3, stride 2 (stride unlinked), padding 'same', average: ⌈64 / 2⌉ = 32."""
    at = run_page()
    at.slider(key="pool_size").set_value(3)
    rerun(at)
    assert at.slider(key="pool_stride").value == 3  # follows the window while linked
    assert sizes(at) == (64, 64, 21, 21)
    at.toggle(key="pool_stride_auto").set_value(False)
    rerun(at)
    at.slider(key="pool_stride").set_value(2)
    at.radio(key="pool_padding").set_value("same")
    at.radio(key="pool_mode").set_value("average")
    rerun(at)
    assert sizes(at) == (64, 64, 32, 32)
    assert "⌈64 / 2⌉ = 32" in line(at, "Rows:").string
    assert line(at, r"\*\*mean = ")
    assert at.query_params["stride"] == "2" and at.query_params["mode"] == "average"


def test_window_step_through_reports_the_max():
    """Pooled row/col pick a window; the text names its max at feature coordinates."""
    at = run_page()
    at.slider(key="pool_row").set_value(12)
    at.slider(key="pool_col").set_value(10)
    rerun(at)
    m = line(at, r"\*\*max = ([\d.]+)\*\*.*row (\d+), column (\d+).*pooled cell \(12, 10\)")
    assert int(m[2]) in (24, 25) and int(m[3]) in (20, 21)  # window rows 24–25, cols 20–21
    assert "**Window: feature rows 24–25, columns 20–21**" in texts(at)


@pytest.mark.slow
def test_feature_controls_and_shift_sliders():
    """Kernel, ReLU and both shift directions change the numbers; the link follows."""
    at = run_page()
    at.selectbox(key="pool_kernel").set_value("Sobel x")
    at.checkbox(key="pool_relu").set_value(False)
    at.slider(key="pool_dx").set_value(-3)
    at.slider(key="pool_dy").set_value(2)
    rerun(at)
    settings = Settings("Sobel x", False, "max", 2, 2, "valid")
    view = pooling_view(sample_image("Cartoon face"), settings)
    assert shift_view(view.stage, settings, -3, 2, view.scale).summary == line(at, CHANGE).string
    assert at.query_params["dx"] == "-3" and at.query_params["dy"] == "2"
    assert at.query_params["relu"] == "0" and at.query_params["kernel"] == "Sobel x"
    # Without ReLU the maps have negative values and 1 − cosine can reach 2: the scale says so.
    assert line(at, r"\(0 = the same, 1 = unrelated, 2 = opposite\)")
    at.checkbox(key="pool_relu").set_value(True)
    rerun(at)
    assert line(at, r"\(0 = the same, 1 = nothing in common\)")


def test_link_restores_settings_and_bad_values_fall_back_with_a_warning():
    """Good values are used; a bad one warns, names itself and uses the default."""
    at = run_page(size="4", kernel="Sobel y", dx="zz", mode="median", sample="Coins")
    assert at.slider(key="pool_size").value == 4
    assert at.selectbox(key="pool_kernel").value == "Sobel y"
    assert at.slider(key="pool_dx").value == 1
    assert at.radio(key="pool_mode").value == "max"
    warnings = " ".join(w.value for w in at.warning)
    assert "dx=zz" in warnings and "mode=median" in warnings
    assert at.query_params["dx"] == "1"  # the bad value is replaced in the link


def test_sample_choice_changes_the_image():
    at = run_page()
    at.radio(key="pool_image").set_value("Coins")
    rerun(at)
    h, w = sample_image("Coins").shape[:2]
    assert sizes(at) == (h, w, h // 2, w // 2)


@pytest.mark.slow
def test_upload_is_used_and_a_bad_upload_keeps_everything():
    """A good PNG is pooled; a text file shows an error and nothing else changes."""
    at = run_page()
    at.slider(key="pool_size").set_value(4)
    at.file_uploader(key="pool_upload").set_value(("red.png", png((40, 30)), "image/png"))
    rerun(at)
    assert sizes(at) == (30, 40, 7, 10)
    at.file_uploader(key="pool_upload").set_value(("notes.png", b"just text\n" * 10, "image/png"))
    rerun(at)
    assert "not an image" in at.error[0].value
    assert sizes(at) == (30, 40, 7, 10)
    assert at.slider(key="pool_size").value == 4


@pytest.mark.slow
def test_core_error_is_shown_and_the_rest_of_the_page_stays():
    """A window bigger than a tiny upload: the core's message, the article still shown."""
    at = run_page()
    at.slider(key="pool_size").set_value(8)
    at.file_uploader(key="pool_upload").set_value(("tiny.png", png((5, 5)), "image/png"))
    rerun(at)
    assert "Output would be empty" in at.error[0].value
    assert line(at, r"Pooled maps identical: yes")
    assert at.slider(key="pool_size").value == 8
    at.radio(key="pool_padding").set_value("same")
    rerun(at)
    assert sizes(at) == (5, 5, 1, 1)
    assert not at.error


def test_every_widget_key_starts_with_the_page_name(first_run):
    keys = [w.key for w in first_run.main if getattr(w, "key", None)]
    widgets = [k for k in keys if not k.startswith("$$")]
    assert widgets and all(k.startswith("pool_") for k in widgets), widgets


@pytest.mark.slow
def test_big_upload_is_drawn_as_images():
    """A 300×300 upload is above the hover limit: maps go out as pictures; the shift comparison
    (image, feature map, pooled map × original, shifted, difference) is ONE picture, whose
    caption follows the shift, with the numbers as text beside it."""
    at = run_page()
    noise = (np.random.default_rng(0).random((300, 300)) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")
    at.file_uploader(key="pool_upload").set_value(("noise.png", buffer.getvalue(), "image/png"))
    rerun(at)
    assert sizes(at) == (300, 300, 150, 150)
    for dx in (1, 4):
        at.slider(key="pool_dx").set_value(dx)
        rerun(at)
        shift = [im for im in at.get("image") if f"shifted ({dx}, 0)" in " ".join(im.captions)]
        assert len(shift) == 1 and len(shift[0].proto.imgs) == 1, [im.captions for im in shift]
        caption = shift[0].captions[0]
        assert "the image, its feature map, the pooled map" in caption
        assert f"original, shifted ({dx}, 0), shifted − original" in caption
        assert shift[0].proto.imgs[0].url.endswith(".jpg")  # picture_bytes' JPEG, sent as made
        assert line(at, CHANGE)


@pytest.mark.slow
def test_settings_survive_a_visit_to_another_page():
    """Streamlit forgets widget values on other pages; coming back keeps every setting."""
    at = AppTest.from_file("../app.py", default_timeout=60).run()
    at.switch_page("pages/pooling.py").run()
    at.selectbox(key="pool_kernel").set_value("Sobel x")
    at.checkbox(key="pool_relu").set_value(False)
    at.radio(key="pool_mode").set_value("average")
    at.slider(key="pool_size").set_value(3)
    at.toggle(key="pool_stride_auto").set_value(False)
    at.radio(key="pool_padding").set_value("same")
    at.segmented_control(key="pool_article").set_value("2 pixels right")
    at.selectbox(key="pool_stack").set_value("Edges, then pooling only")
    at.selectbox(key="pool_depth_image").set_value("Coins")
    rerun(at)
    at.slider(key="pool_stride").set_value(2)
    at.slider(key="pool_dx").set_value(-2)
    at.slider(key="pool_dy").set_value(3)
    rerun(at)
    at.slider(key="pool_row").set_value(5)
    at.slider(key="pool_col").set_value(30)
    rerun(at)
    before = texts(at)
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/pooling.py").run()
    assert not at.exception, at.exception
    values = {
        "selectbox": {"pool_kernel": "Sobel x", "pool_stack": "Edges, then pooling only",
                      "pool_depth_image": "Coins"},
        "checkbox": {"pool_relu": False},
        "radio": {"pool_mode": "average", "pool_padding": "same"},
        "toggle": {"pool_stride_auto": False},
        "slider": {"pool_size": 3, "pool_stride": 2, "pool_dx": -2, "pool_dy": 3,
                   "pool_row": 5, "pool_col": 30},
        "segmented_control": {"pool_article": "2 pixels right"},
    }  # fmt: skip
    for kind, keyed in values.items():
        for key, value in keyed.items():
            assert getattr(at, kind)(key=key).value == value, key
    assert sizes(at) == (64, 64, 32, 32)
    assert texts(at) == before  # every number and sentence as it was


@pytest.mark.slow
def test_link_stride_number_turns_the_toggle_off_and_a_bad_one_warns():
    """stride=3 in a link: toggle off, slider at 3 (⌊(64 − 3) / 3⌋ + 1 = 21 with window 3)."""
    at = run_page(stride="3", size="3")
    assert at.toggle(key="pool_stride_auto").value is False
    assert at.slider(key="pool_stride").value == 3 and sizes(at) == (64, 64, 21, 21)
    assert at.query_params["stride"] == "3" and not at.warning
    at.toggle(key="pool_stride_auto").set_value(True)
    at.slider(key="pool_size").set_value(4)
    rerun(at)
    assert at.slider(key="pool_stride").value == 4 and at.query_params["stride"] == "auto"
    at = run_page(stride="0")
    assert "stride=0" in at.warning[0].value and at.toggle(key="pool_stride_auto").value is True
    assert at.slider(key="pool_stride").value == 2 and at.query_params["stride"] == "auto"


@pytest.mark.slow
def test_window_cell_starts_in_the_middle_of_a_new_map_and_survives_a_stopped_run():
    """A new pooled-map size moves the cell to its middle; a run stopped by the image picker
    (upload chosen, no file) draws no controls and keeps none, so nothing comes back stale."""
    at = AppTest.from_file("../app.py", default_timeout=60).run()
    at.switch_page("pages/pooling.py").run()
    assert (at.slider(key="pool_row").value, at.slider(key="pool_col").value) == (16, 16)
    at.slider(key="pool_row").set_value(3)
    rerun(at)
    at.slider(key="pool_size").set_value(4)  # 32×32 → 16×16
    rerun(at)
    assert (at.slider(key="pool_row").value, at.slider(key="pool_col").value) == (8, 8)
    at.slider(key="pool_row").set_value(5)
    at.slider(key="pool_dx").set_value(-4)
    rerun(at)
    at.radio(key="pool_image").set_value("Your upload")
    rerun(at)
    assert not at.get("slider")  # stopped before the controls
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/pooling.py").run()
    at.radio(key="pool_image").set_value("Cartoon face")
    rerun(at)
    assert at.slider(key="pool_size").value == 4 and at.slider(key="pool_row").value == 5
    assert at.slider(key="pool_dx").value == -4 and sizes(at) == (64, 64, 16, 16)


def test_the_window_section_draws_the_pooled_map_to_click_with_the_cell_outlined():
    """The sliders' cell is outlined on the clickable pooled map: the page draws the lesson's
    picture for that cell, byte for byte (the outlines are checked in test_lesson_pooling)."""
    at = run_page()
    at.slider(key="pool_row").set_value(5)
    at.slider(key="pool_col").set_value(27)
    rerun(at)
    assert any("Pooled map: cell (5, 27) outlined." in c.value for c in at.caption)
    settings = Settings("Eye detector", True, "max", 2, 2, "valid")
    view = pooling_view(sample_image("Cartoon face"), settings)
    expected = window_view(view.stage, settings, 5, 27, view.scale).pooled_picture
    drawn = clickable_picture(at, "pool_pick")
    np.testing.assert_array_equal(
        drawn, np.asarray(Image.open(io.BytesIO(expected)).convert("RGB"))
    )
    other = window_view(view.stage, settings, 5, 26, view.scale).pooled_picture
    assert not np.array_equal(drawn, np.asarray(Image.open(io.BytesIO(other)).convert("RGB")))
