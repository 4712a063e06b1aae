"""The Inside-the-model page in real Chromium: draw a stroke on the canvas, the model reads it."""

import io
import re

import skimage.data
from PIL import Image
from playwright.sync_api import expect

from pages._registry import PAGES
from tests.browser.helpers import (
    assert_no_errors,
    draw_stroke,
    heavy_libraries,
    screenshot,
    server_pid,
    wait_idle,
)


def _open(app_url, page):
    # entered_url: the app's entry has run on this server, so the page URL opens the app's page.
    page.goto(f"{app_url}/inside")
    wait_idle(page, timeout=120_000)  # the first visit may train the default model (a worker)
    expect(page.get_by_role("heading", name=re.compile("^Inside the model"))).to_be_visible()


def test_a_stroke_drawn_on_the_canvas_is_read_as_a_one(entered_url, page):
    """Mouse down, a vertical line, mouse up: the page shows "Prediction: 1" and no error. Then
    every page opened: TensorFlow and Keras stay out of the server (the core computes what the
    pages show; only training workers load them)."""
    _open(entered_url, page)
    expect(page.get_by_text(re.compile(r"^Prediction: \d \(\d+\.\d%\)$")).first).to_be_visible()
    page.get_by_text("Draw one").click()
    wait_idle(page)
    expect(page.get_by_text("Draw a digit on the black square")).to_be_visible()

    draw_stroke(page)

    heading = page.get_by_role("heading", name=re.compile(r"^Prediction: \d"))
    expect(heading).to_have_text(re.compile(r"^Prediction: 1 \(\d+\.\d%\)$"), timeout=30_000)
    expect(page.get_by_text("Input: your drawing.", exact=False)).to_be_visible()
    expect(page.get_by_text("Not inverted: the background was already dark")).to_be_visible()
    assert_no_errors(page)
    screenshot(page, "inside")

    # Home and back through the sidebar: the drawing is still read, and still drawn.
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_role("link", name="Home").click()
    wait_idle(page)
    nav.get_by_role("link", name="Inside the model").click()
    wait_idle(page, timeout=60_000)
    expect(heading).to_have_text(re.compile(r"^Prediction: 1 \(\d+\.\d%\)$"), timeout=30_000)
    expect(page.get_by_text("Input: your drawing.", exact=False)).to_be_visible()
    expect(page.get_by_role("radio", name="Draw one")).to_be_checked()
    assert_no_errors(page)
    screenshot(page, "inside_back")

    for entry in PAGES:  # by address: the Talk page hides the sidebar and its links
        page.goto(f"{entered_url}/{entry.url_path}")
        wait_idle(page, timeout=60_000)
        assert_no_errors(page)
    assert heavy_libraries(server_pid(entered_url)) == []


def test_a_photo_with_a_crafted_name_is_read_with_a_caution_and_its_name_shown_as_typed(
    entered_url, page
):
    """A photo of a scene: the prediction comes with the caution beside it; a file name full of
    Markdown and HTML shows character for character, with no bold, link or tag made of it."""
    name = "a` **bold** [x](http://x/) `<b>tag</b>.png"
    buffer = io.BytesIO()
    Image.fromarray(skimage.data.camera()).save(buffer, format="PNG")
    _open(entered_url, page)
    page.get_by_text("Upload a photo").click()
    wait_idle(page)
    page.locator("input[type=file]").first.set_input_files(
        {"name": name, "mimeType": "image/png", "buffer": buffer.getvalue()}
    )
    wait_idle(page, timeout=60_000)

    heading = page.get_by_role("heading", name=re.compile(r"^Prediction: \d"))
    expect(heading).to_be_visible()
    caution = page.get_by_test_id("stAlertContentWarning").filter(
        has_text="This does not look much like the handwritten digits"
    )
    expect(caution).to_be_visible()
    column = page.get_by_test_id("stColumn").filter(has=heading).last
    expect(column.get_by_test_id("stAlertContentWarning")).to_have_count(1)  # beside it

    caption = page.get_by_test_id("stCaptionContainer").filter(has_text="Input: your photo")
    expect(caption).to_contain_text(f"Input: your photo {name}.")
    expect(caption.locator("a, strong, b, code")).to_have_count(0)
    assert_no_errors(page)
    screenshot(page, "inside_photo")
    assert heavy_libraries(server_pid(entered_url)) == []  # reading a photo loaded none either
