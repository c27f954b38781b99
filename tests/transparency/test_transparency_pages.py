"""Every public statistics page: no script but the quick exit's, no inline style (the CSP forbids them), and a page
that makes sense without JavaScript."""
import re

import pytest

from civicwatch.cases.models import CaseStatus

PUBLIC = ["/transparency", "/transparency?period=all&body=police_oversight", "/transparency/data"]


def assert_clean(html: str, path: str) -> None:
    # The one script is the quick exit's, an external file that only replaces the page in the history (its link
    # works without it); nothing else, and nothing inline.
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts == [""] and re.search(r'<script src="/static/js/quick_exit\.js[^"]*" defer>', html), path
    assert " style=" not in html, path
    assert '<svg' not in html or 'role="img"' in html, path


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_need_no_script_or_inline_style(client, new_case, path):
    new_case(CaseStatus.CLOSED)
    response = client.get(path)
    assert response.status_code == 200
    assert_clean(response.get_data(as_text=True), path)


def test_the_charts_describe_themselves(client, new_case):
    for _ in range(6):
        new_case(CaseStatus.CLOSED)
    html = client.get("/transparency").get_data(as_text=True)
    # Received, in time and, as the other months had none ("fewer than 5"), received by quarter.
    assert html.count('role="img"') == 4
    assert 'aria-describedby="chart-received-desc"' in html and "<desc id=\"chart-received-desc\">" in html
    assert "Show these figures as a table" in html  # the same figures, for anyone who cannot see the chart
