"""The Learn page in real Chromium: a step changes the loss plot and the kernel's grids; on a
projector (1280×720) and a phone (390×844, touch) nothing is wider than the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_no_errors, screenshot, wait_idle
from tests.browser.test_browser_legible import _DRAWN, PHONE, PROJECTOR, _too_wide


def _open(page, url: str) -> None:
    page.goto(f"{url}/learn")
    wait_idle(page, timeout=120_000)
    expect(page.get_by_role("heading", name=re.compile("^Learn"))).to_be_visible()
    page.wait_for_function(_DRAWN, polling=100, timeout=90_000)


def _grid(page, title: str) -> str:
    """The numbers of the kernel's grid under the bold ``title`` (its HTML table's text)."""
    column = page.get_by_test_id("stColumn").filter(has=page.get_by_text(title, exact=True))
    return column.locator("table").last.inner_text()


def _history_points(page) -> list[int]:
    """How many steps each line of the loss-over-steps chart holds (Plotly's own data)."""
    chart = page.locator(".st-key-learn_history .js-plotly-plot")
    if chart.count() == 0:
        return []
    return chart.evaluate("e => e.data.map(t => t.y.length)")


def _take_a_step(page) -> None:
    page.get_by_role("button", name=re.compile("Take one step")).click()
    wait_idle(page, timeout=60_000)
    page.wait_for_function(_DRAWN, polling=100, timeout=90_000)


def test_a_step_changes_the_loss_plot_and_the_kernel_grids(entered_url, page):
    """Before: no plot, the grids of the step to come. After a click: the weights now are the
    previous 'weights after'; a second click adds a point to each line of the plot."""
    _open(page, entered_url)
    assert _history_points(page) == []
    expect(page.get_by_text("No steps taken yet: take one")).to_be_visible()
    now, after = _grid(page, "Kernel 31: weights now"), _grid(page, "Weights after the step")
    assert now != after and re.search(r"\d", now)
    loss = page.get_by_text(re.compile(r"^Batch loss before the step")).inner_text()

    _take_a_step(page)
    expect(page.get_by_text(re.compile(r"^1 step taken"))).to_be_visible()
    assert _history_points(page) == [1, 1]
    assert _grid(page, "Kernel 31: weights now") == after  # the step was the one shown
    assert page.get_by_text(re.compile(r"^Batch loss before the step")).inner_text() != loss
    assert "step=" not in page.url and "model=fresh" in page.url

    second_after = _grid(page, "Weights after the step")
    _take_a_step(page)
    assert _history_points(page) == [2, 2]
    assert _grid(page, "Kernel 31: weights now") == second_after
    assert_no_errors(page)
    screenshot(page, "learn_two_steps")


@pytest.mark.parametrize(("device", "options"), [("projector", PROJECTOR), ("phone", PHONE)])
def test_nothing_is_wider_than_a_projector_or_a_phone(browser, entered_url, device, options):
    """After a step (the plot drawn too): no sideways scroll, no element past the right edge."""
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        _open(page, entered_url)
        _take_a_step(page)
        width = options["viewport"]["width"]
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth,"
            " document.querySelector('[data-testid=stMain]').scrollWidth]"
        )
        assert max(widths) <= width, widths
        assert _too_wide(page) == []
        assert_no_errors(page)
        screenshot(page, f"learn_{device}")
    finally:
        context.close()
