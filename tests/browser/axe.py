"""axe-core in the page under test: the accessibility rules of WCAG 2.x A and AA, run in Chromium.

The script is vendored (tests/browser/vendor/); it is evaluated through the DevTools protocol, so the site's
Content Security Policy stays as it is in production.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
BLOCKING = ("critical", "serious")
RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',
    'wcag21aa', 'best-practice']}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
}"""


@lru_cache(maxsize=1)
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def serious_violations(page) -> list[dict]:
    """The critical and serious axe violations of the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    return [v for v in page.evaluate(RUN) if v["impact"] in BLOCKING]


def assert_accessible(page, name: str = "") -> None:
    violations = serious_violations(page)
    assert not violations, f"{name or page.url}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}): {v['nodes']}" for v in violations)
