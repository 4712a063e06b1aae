"""The Learn page's snapshot and depth sections in Chromium, run by a small script of their own
(the Learn page calls the same two functions) with a trained model in the session: the slider
and the maps share one projector screen, scrubbing changes the maps, a phone scrolls nowhere
sideways, and the server never loads TensorFlow."""

from __future__ import annotations

import pickle
import textwrap

import pytest
from playwright.sync_api import expect

from cnnviz.learning.data import load_sample
from cnnviz.lessons import learn_progress as lesson
from tests.browser.helpers import (
    ROOT,
    assert_no_errors,
    heavy_libraries,
    screenshot,
    server_pid,
    streamlit_server,
    wait_idle,
)
from tests.test_lesson_learn_progress import _fake_trainer

PROJECTOR = {"viewport": {"width": 1280, "height": 720}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
SCRIPT = textwrap.dedent(
    """
    import os
    import pickle

    import streamlit as st

    from pages._learn_progress import depth_section, progress_section
    from pages._models import SessionModel

    if "train_model" not in st.session_state:
        with open(os.environ["LEARN_PROGRESS_MODEL"], "rb") as file:
            st.session_state["train_model"] = SessionModel(pickle.load(file))
    progress_section()
    depth_section()
    """
)
MAPS = "[data-testid=stImage] img"  # the first picture: the maps with their kernels


@pytest.fixture(scope="module")
def url(tmp_path_factory, small_trained):
    """A server running the two sections; the session's model is small_trained, and the depth
    comparison is already on disk (made by a stand-in trainer: no three trainings here)."""
    folder = tmp_path_factory.mktemp("learn-progress")
    model = folder / "model.pickle"
    model.write_bytes(pickle.dumps(small_trained.without_file()))
    (folder / "sections.py").write_text(SCRIPT)
    cache = folder / "cache"
    lesson.depth_results(load_sample(), _fake_trainer([], [2.0, 2.2, 2.4], [0.97, 0.95, 0.9])[1],
                         folder=str(cache))  # fmt: skip
    env = {
        "LEARN_PROGRESS_MODEL": str(model),
        "CNNVIZ_CACHE_DIR": str(cache),
        "PYTHONPATH": str(ROOT),
    }
    with streamlit_server(str(folder / "sections.py"), env=env) as base:
        yield base


def open_sections(browser, url, device):
    context = browser.new_context(**device)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_idle(page, timeout=120_000)
    expect(page.locator(MAPS).first).to_be_visible()
    return context, page


def test_scrubbing_changes_the_maps_beside_the_slider_on_one_projector_screen(browser, url):
    context, page = open_sections(browser, url, PROJECTOR)
    try:
        slider = page.get_by_role("slider").first
        slider.evaluate("element => element.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(300)
        maps = page.locator(MAPS).first
        for box in (slider.bounding_box(), maps.bounding_box()):
            assert box["y"] >= 0 and box["y"] + box["height"] <= 720, box
        before = maps.get_attribute("src")
        expect(page.get_by_text("The random start, before the first batch")).to_be_visible()
        slider.focus()
        page.keyboard.press("End")
        wait_idle(page)
        expect(page.get_by_text("Batch 20 of 20 (2 epochs)")).to_be_visible()
        expect(page.get_by_text("These are the trained kernels.", exact=False)).to_be_visible()
        assert page.locator(MAPS).first.get_attribute("src") != before
        assert_no_errors(page)
        screenshot(page, "learn-progress-1280x720")
        assert heavy_libraries(server_pid(url)) == []  # the maps are the core's NumPy
    finally:
        context.close()


def test_on_a_phone_nothing_scrolls_sideways_and_the_depth_figures_are_there(browser, url):
    context, page = open_sections(browser, url, PHONE)
    try:
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth,"
            " document.querySelector('[data-testid=stMain]').scrollWidth]"
        )
        assert max(widths) <= 390, widths
        assert page.locator(MAPS).first.bounding_box()["width"] <= 390
        summary = page.get_by_text("1 block: 97.0% in 10 s; 2 blocks: 95.0% in 20 s", exact=False)
        summary.scroll_into_view_if_needed()
        expect(summary).to_be_visible()
        expect(page.locator("[data-testid=stPlotlyChart]")).to_have_count(2)  # numbers, depth
        assert_no_errors(page)
        screenshot(page, "learn-progress-390x844")
    finally:
        context.close()
