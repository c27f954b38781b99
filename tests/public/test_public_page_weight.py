"""Low bandwidth (issue 18): every citizen page, with the stylesheets, scripts and images it loads, stays under
40 KB as it crosses the network (gzip where the app serves gzip; pages holding a secret are sent uncompressed,
see civicwatch/compression.py, and count at full size), in every language."""
from __future__ import annotations

import datetime as dt
import gzip
import re
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from civicwatch.cases.models import CaseStatus
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.taxonomy.models import District, Theme
from tests.factories import create_case
from tests.intake.conftest import RECEIPT_RE, open_case, post_report

BUDGET = 40_000  # bytes on the wire, page and everything it loads
ASSETS = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src|img[^>]+src)="([^"]+)"')
GZIP = {"Accept-Encoding": "gzip"}


def page_text(page: TestResponse) -> str:
    body = page.get_data()
    return (gzip.decompress(body) if page.headers.get("Content-Encoding") == "gzip" else body).decode()


def weigh(client: FlaskClient, page: TestResponse) -> tuple[int, dict[str, int]]:
    """Bytes the page and each asset it loads take on the wire (the body as served, compressed or not)."""
    assert page.status_code == 200, page.request.path
    sizes = {page.request.path: len(page.get_data())}
    for url in dict.fromkeys(ASSETS.findall(page_text(page))):
        parts = urlsplit(url.replace("&amp;", "&"))
        asset = client.get(parts.path + (f"?{parts.query}" if parts.query else ""), headers=GZIP)
        assert asset.status_code == 200, url
        sizes[url] = len(asset.get_data())
    return sum(sizes.values()), sizes


@pytest.fixture
def busy_transparency(app, clock):
    """Closed cases of every theme in every district, weeks old: the transparency page with all its rows."""
    themes, districts = db.session.query(Theme).all(), db.session.query(District).all()
    received = utcnow() - dt.timedelta(days=40)
    for index in range(2 * max(len(themes), len(districts))):
        district = districts[index % len(districts)]
        create_case(CaseStatus.CLOSED, theme=themes[index % len(themes)].code, region=district.region,
                    district=district, created_at=received)


@pytest.mark.parametrize("language", ["en", "fr", "kri"])
def test_every_citizen_page_fits_the_budget(client, busy_transparency, language):
    client.get(f"/language/{language}")
    weights = {path: weigh(client, client.get(path, headers=GZIP))
               for path in ("/", "/report", "/track", "/transparency", "/privacy")}
    assert post_report(client).status_code == 303
    receipt = client.get("/report/received", headers=GZIP)  # shown once
    weights["/report/received"] = weigh(client, receipt)
    open_case(client, RECEIPT_RE.search(page_text(receipt)).group(1))
    weights["/track/case"] = weigh(client, client.get("/track/case", headers=GZIP))
    over = {path: weight for path, weight in weights.items() if weight[0] > BUDGET}
    assert over == {}, f"over {BUDGET} bytes in {language}: {over}"
