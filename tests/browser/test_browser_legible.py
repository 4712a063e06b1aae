"""Readable from the back of a room, usable on a phone (issue 14), measured in Chromium.

What the browser really renders, not what the figures ask for: the computed font size and
colour of every Plotly tick label and of every number in a grid (Plotly heatmap cells, HTML
tables), on a projector (1280×720); on a phone (390×844, touch) chart toolbars hidden and
nothing wider than the screen; on the Inside page the prediction right under the drawing
canvas, and the shift charts' titles, axis titles and legend apart.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pages._registry import PAGES
from tests.browser.helpers import assert_no_errors, draw_stroke, screenshot, wait_idle

PROJECTOR = {"viewport": {"width": 1280, "height": 720}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
NARROW = {"viewport": {"width": 390, "height": 844}}  # a phone's width, with a mouse to draw
PATHS = [page.url_path for page in PAGES]
#: Pages that show Plotly charts / number grids on a first visit, so the checks below have
#: something to measure there (a page missing from here is still checked, for what it shows).
CHARTS = {"pooling", "inside"}
GRIDS = {"pooling", "convolution"}
SMALLEST, DARKEST = 14.0, 0.2  # px; relative luminance (0 black … 1 white)
CONTRAST = 4.5  # WCAG AA: a table's number against its own cell (black or white ink)

#: Every tick label and every number in a grid, with its computed size and colour.
_TEXT = """() => {
  const out = [];
  const seen = (kind, e, colour) => out.push({kind, text: e.textContent,
      size: parseFloat(getComputedStyle(e).fontSize), colour});
  for (const e of document.querySelectorAll('.xtick text, .ytick text, .cbaxis text'))
    seen('tick', e, getComputedStyle(e).fill);
  for (const e of document.querySelectorAll('.heatmaplayer text, .hm text, g.textpoint text'))
    seen('cell', e, getComputedStyle(e).fill);
  for (const e of document.querySelectorAll('[data-testid=stMain] td, [data-testid=stMain] th'))
    if (e.textContent.trim()) {
      seen('table', e, getComputedStyle(e).color);
      out[out.length - 1].background = getComputedStyle(e).backgroundColor;
    }
  return out;
}"""


#: Paragraphs of body text (not captions, widget labels, buttons or links), with their size.
_BODY = """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stMarkdown] p')]
  .filter(p => !p.closest('[data-testid=stCaptionContainer], [data-testid=stWidgetLabel], '
      + 'button, label, a, [data-testid=stTooltipContent]'))
  .map(p => ({size: parseFloat(getComputedStyle(p).fontSize), text: p.textContent.slice(0, 60),
      within: p.closest('[data-testid]:not([data-testid=stMarkdownContainer])')?.dataset.testid}))
"""  # noqa: E501


def _luminance(css: str) -> float:
    """Relative luminance (WCAG) of a computed colour, "rgb(r, g, b)"; transparent is white."""
    if css.startswith("rgba") and css.replace(" ", "").endswith(",0)"):
        return 1.0
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(text: dict) -> float:
    """WCAG contrast ratio of a table cell's ink against the cell's background."""
    a, b = sorted((_luminance(text["colour"]), _luminance(text["background"])))
    return (b + 0.05) / (a + 0.05)


def _open(browser, url: str, path: str, context: dict):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{url}/{path}")
    wait_idle(page, timeout=180_000)  # the first Inside visit may prepare the default model
    return ctx, page


@pytest.fixture
def open_page(browser, entered_url):
    """open_page(path, **context): a fresh browser context on that page."""
    contexts = []

    def open_(path: str, **context):
        ctx, page = _open(browser, entered_url, path, context)
        contexts.append(ctx)
        return page

    yield open_
    for ctx in contexts:
        ctx.close()


#: (path, device) pages that several tests only look at (measure, hover, scroll), opened once
#: per module: the Inside page is the slowest to load. Every other page is opened afresh.
SHARED = {("inside", "projector"), ("inside", "phone")}
DEVICES = {"projector": PROJECTOR, "phone": PHONE}


@pytest.fixture(scope="module")
def shared_pages(browser, entered_url):
    opened: dict[tuple[str, str], tuple] = {}
    yield opened
    for ctx, _ in opened.values():
        ctx.close()


@pytest.fixture
def look_at(browser, entered_url, open_page, shared_pages):
    """look_at(path, device): that page on a "projector" or "phone", every element drawn, for a
    test that does not change it (a SHARED one is the module's, else a fresh context's)."""

    def look(path: str, device: str):
        if (path, device) not in SHARED:
            page = open_page(path, **DEVICES[device])
        else:
            if (path, device) not in shared_pages:
                shared_pages[path, device] = _open(browser, entered_url, path, DEVICES[device])
            page = shared_pages[path, device][1]
        _drawn(page, path)
        return page

    return look


#: Every element of the page drawn: Streamlit shows a skeleton while an element's code loads
#: (Plotly's is large), and a chart has its SVG once Plotly has drawn it.
_DRAWN = """() => !document.querySelector('[data-testid=stMain] [data-testid=stSkeleton]')
  && [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
      .every(c => c.querySelector('.main-svg'))"""


def _drawn(page, path: str) -> None:
    if path in CHARTS:
        expect(page.locator(".xtick text").first).to_be_attached(timeout=90_000)
    page.wait_for_function(_DRAWN, polling=100, timeout=90_000)


@pytest.mark.parametrize("path", PATHS)
def test_ticks_and_grid_numbers_are_14_px_and_dark_on_a_projector(look_at, path):
    """Every tick label (Streamlit's chart theme made them 12 px light grey) and every number in
    a grid is at least 14 px; ticks are dark, a table's numbers contrast with their cell (black
    or white ink, WCAG AA); Plotly picks heatmap cells' ink itself, so theirs is only the size.
    Body text (st.markdown paragraphs, not captions or widget parts) is 16 px."""
    page = look_at(path, "projector")
    texts = page.evaluate(_TEXT)
    kinds = {t["kind"] for t in texts}
    if path in CHARTS:
        assert "tick" in kinds, f"no chart ticks drawn on {path}"
    if path in GRIDS:
        assert kinds & {"cell", "table"}, f"no number grid drawn on {path}"
    small = [t for t in texts if t["size"] < SMALLEST]
    assert not small, f"{len(small)} texts below {SMALLEST} px on {path}: {small[:5]}"
    light = [t for t in texts if t["kind"] == "tick" and _luminance(t["colour"]) > DARKEST]
    assert not light, f"{len(light)} light tick labels on {path}: {light[:5]}"
    faint = [t for t in texts if t["kind"] == "table" and _contrast(t) < CONTRAST]
    assert not faint, f"{len(faint)} table numbers faint on their cells on {path}: {faint[:5]}"
    body = page.evaluate(_BODY)
    assert body, f"no paragraphs found on {path}"
    small = [p for p in body if p["size"] < 16]
    assert not small, f"body text below 16 px on {path}: {small[:5]}"
    assert_no_errors(page)


def _too_wide(page) -> list[str]:
    """Elements of the page reaching past the right edge of the screen, outside any box that
    scrolls or clips sideways by itself (a wide table in its own scroll box is fine)."""
    return page.evaluate(
        """() => {
          const width = window.innerWidth, out = [];
          const clipped = e => { for (let a = e.parentElement; a; a = a.parentElement) {
              const o = getComputedStyle(a).overflowX;
              if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') {
                if (a.getBoundingClientRect().right <= width + 1) return true; } }
            return false; };
          for (const e of document.querySelectorAll('[data-testid=stMain] *')) {
            const r = e.getBoundingClientRect();
            if (r.width > 0 && r.right > width + 1 && !clipped(e))
              out.push(`${e.tagName}.${e.className.baseVal ?? e.className} right=${r.right}`);
          }
          return out.slice(0, 10);
        }"""
    )


@pytest.mark.parametrize("path", PATHS)
def test_on_a_phone_nothing_scrolls_sideways_and_chart_toolbars_are_hidden(look_at, path):
    """390×844 with touch: the page is no wider than the screen, no element reaches past its
    edge, and Plotly's toolbar (it covered chart titles) is not displayed on any chart."""
    page = look_at(path, "phone")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " document.querySelector('[data-testid=stMain]').scrollWidth]"
    )
    assert max(widths) <= 390, (path, widths)
    assert _too_wide(page) == [], path
    bars = page.locator(".modebar-container")
    if path in CHARTS:
        assert bars.count() > 0, "charts drawn, each with its toolbar element"
    shown = page.evaluate(
        "() => [...document.querySelectorAll('.modebar-container')]"
        ".filter(e => getComputedStyle(e).display !== 'none').length"
    )
    assert shown == 0, f"{shown} chart toolbars displayed on {path}"
    screenshot(page, f"legible_phone_{path}")


def test_with_a_mouse_the_chart_toolbar_is_still_there(look_at):
    """The phone rule is for touch screens only: on a projector laptop the toolbar (download,
    zoom) still appears over a chart."""
    page = look_at("inside", "projector")
    chart = page.locator(".js-plotly-plot").first
    chart.hover()
    assert chart.locator(".modebar-container").evaluate("e => getComputedStyle(e).display") != (
        "none"
    )


def test_on_a_phone_the_prediction_is_right_under_the_canvas(open_page):
    """At a phone's width the canvas's buttons (undo, clear: shown above the square while it is
    pointed at or touched), the canvas and the prediction under it fit one screen below
    Streamlit's header. (Before: the prediction was 1.5 screens below, under the 28×28 chart.)"""
    page = open_page("inside", **NARROW)
    page.get_by_text("Draw one").click()
    wait_idle(page)
    draw_stroke(page)  # the pointer stays on the square: its buttons show
    heading = page.get_by_role("heading", name=re.compile(r"^Prediction: \d"))
    expect(heading).to_have_text(re.compile(r"^Prediction: 1 \(\d+\.\d%\)$"), timeout=30_000)
    component = page.locator(".st-key-inside_canvas")
    undo = component.get_by_role("button", name="Undo")
    clear = component.get_by_role("button", name=re.compile("^Reset canvas"))
    page.mouse.move(*_centre(component.locator("canvas").last.bounding_box()))
    expect(undo).to_be_visible()
    expect(clear).to_be_visible()
    opacity = component.locator(".dc-toolbar").evaluate("e => getComputedStyle(e).opacity")
    assert float(opacity) > 0.9, opacity
    top = min(undo.bounding_box()["y"], clear.bounding_box()["y"])
    square = component.locator("canvas").last.bounding_box()
    said = heading.bounding_box()
    assert said["y"] >= square["y"] + square["height"] - 1, (square, said)  # under the canvas
    header = page.get_by_test_id("stHeader").bounding_box()["height"]
    assert said["y"] + said["height"] - top <= 844 - header, (top, square, said, header)
    assert_no_errors(page)
    canvas_top = f"e => e.scrollBy(0, {top - header - 4})"
    page.locator("[data-testid=stMain]").evaluate(canvas_top)
    page.mouse.move(*_centre(component.locator("canvas").last.bounding_box()))  # buttons shown
    page.wait_for_timeout(400)
    screenshot(page, "legible_inside_phone_drawn")


def _centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _boxes(chart, selector: str) -> list[dict]:
    return [b for b in (e.bounding_box() for e in chart.locator(selector).all()) if b]


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"] - 1
        and b["x"] < a["x"] + a["width"] - 1
        and a["y"] < b["y"] + b["height"] - 1
        and b["y"] < a["y"] + a["height"] - 1
    )


def test_on_a_phone_the_shift_charts_fit_and_nothing_in_them_overlaps(look_at):
    """The Inside page's two shift charts at 390 px: inside the screen, and their subplot
    titles, axis titles and legend entries each clear of the others (before: the long subplot
    titles ran into each other, the legend over the axis titles)."""
    page = look_at("inside", "phone")
    for key in ("inside_shift_one", "inside_shift_average"):
        chart = page.locator(f".st-key-{key} .js-plotly-plot")
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (key, box)
        parts = {
            "title": _boxes(chart, ".annotation-text"),
            "axis title": _boxes(chart, ".xtitle, .x2title, .ytitle"),
            "legend": _boxes(chart, ".legend .traces"),
            "ticks": _boxes(chart, ".xtick text, .x2tick text"),
        }
        assert len(parts["title"]) == 2 and len(parts["axis title"]) == 3, (key, parts)
        names = list(parts)
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                for a in parts[first]:
                    for b in parts[second]:
                        assert not _overlap(a, b), (key, first, a, second, b)
        for a in parts["title"] + parts["axis title"] + parts["legend"]:
            assert a["x"] >= 0 and a["x"] + a["width"] <= 390 + 1, (key, a)
