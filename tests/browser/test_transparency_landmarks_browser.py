"""A screen reader lists a page's regions by name: on /transparency each region's name is its own. The tables
of quarters and of years took the name of the section around them ("Complaints received each quarter" twice)."""
from __future__ import annotations

import pytest

from tests.browser.axe import _source

pytestmark = pytest.mark.browser

LANDMARK_UNIQUE = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'rule', values: ['landmark-unique']},
    resultTypes: ['violations']});
  return result.violations.flatMap(v => v.nodes.map(n => n.target.join(' ')));
}"""


def test_every_region_of_the_statistics_has_its_own_name(live_server, page):
    page.goto(f"{live_server}/transparency")  # no cases yet: every month is withheld, quarters and years shown
    assert page.locator("#by-quarter").count() == 1 and page.locator("#by-year").count() == 1
    page.evaluate(_source())
    duplicated = page.evaluate(LANDMARK_UNIQUE)
    assert duplicated == [], duplicated
