"""/transparency at a desk and on a phone: tables are not cut off, each scrolling table is a labelled region
reached by keyboard, and a filter that hides figures says which and why."""
from __future__ import annotations

import pytest

from tests.browser.test_transparency_browser import demo_cases  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

CLIPPED_TABLES = """() => [...document.querySelectorAll('.table-wrap')]
  .filter(w => w.scrollWidth > w.clientWidth + 1)
  .map(w => w.getAttribute('aria-label') || w.getAttribute('aria-labelledby'))"""
REGIONS = """() => [...document.querySelectorAll('.table-wrap')].map(w => ({
  tabindex: w.getAttribute('tabindex'), role: w.getAttribute('role'),
  name: w.getAttribute('aria-label') || (document.getElementById(w.getAttribute('aria-labelledby')) || {}).textContent
}))"""


def test_tables_fit_at_1280_pixels(live_server, page, demo_cases, screenshot):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/transparency")
    page.get_by_text("Show these figures as a table").click()
    assert page.evaluate(CLIPPED_TABLES) == []
    screenshot("transparency-1280")


def test_scrolling_tables_are_labelled_regions_reached_by_keyboard(live_server, page, demo_cases):  # noqa: F811
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/transparency")
    regions = page.evaluate(REGIONS)
    assert len(regions) >= 6
    assert all(r["tabindex"] == "0" and r["role"] == "region" and (r["name"] or "").strip() for r in regions)
    assert page.evaluate(CLIPPED_TABLES)  # on a phone the wide tables scroll inside their region...
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # ...and the page does not
    body_table = page.locator(".table-wrap[aria-labelledby='bodies-table']")
    body_table.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert body_table.evaluate("w => w.scrollLeft") > 0


def test_a_narrow_filter_says_what_hidden_figures_are_and_why(live_server, page, demo_cases):  # noqa: F811
    page.goto(f"{live_server}/transparency?body=intelligence_committee&theme=surveillance_privacy")
    notice = page.locator("#withheld-notice")
    assert notice.is_visible()
    text = notice.inner_text()
    assert "had too few complaints of this choice" in text and "from 0 to 4 complaints" in text
    assert "could be recognised" in text
    note = page.locator("a.withheld-note").first
    assert note.get_attribute("href") == "#about" and "not published" in (note.get_attribute("title") or "").lower()
