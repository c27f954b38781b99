"""Gzip for public text, never for a page that holds a secret; static files cached for a year under versioned
URLs."""
from __future__ import annotations

import gzip
import re

from civicwatch.accounts.models import Role
from tests.factories import create_case

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_public_pages_are_compressed_when_the_browser_accepts_it(client):
    create_case("closed")
    plain = client.get("/transparency")
    zipped = client.get("/transparency", headers=GZIP)
    assert plain.status_code == zipped.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.get_data()).decode() .count("<h1>") == plain.get_data(as_text=True).count("<h1>")
    assert len(zipped.get_data()) < len(plain.get_data()) / 3


def test_pages_holding_a_secret_are_never_compressed(client, make_user, login_as):
    for path in ("/report", "/track", "/login"):
        assert "Content-Encoding" not in client.get(path, headers=GZIP).headers, path
    login_as(make_user(Role.ADMIN))
    for path in ("/staff/", "/transparency", "/"):  # signed in, every page carries a CSRF token
        assert "Content-Encoding" not in client.get(path, headers=GZIP).headers, path


def test_static_files_have_versioned_names_and_are_kept_a_year(client):
    html = client.get("/").get_data(as_text=True)
    link = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{12})"', html)
    assert link, "the stylesheet link carries its content hash"
    response = client.get(link.group(1), headers=GZIP)
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "no-cache" not in cache
    assert b"main" in gzip.decompress(response.get_data())
    stale = client.get("/static/css/site.css?v=000000000000")
    stale.close()
    assert "max-age=300" in stale.headers["Cache-Control"] and "immutable" not in stale.headers["Cache-Control"]
    assert client.get("/static/css/nothing.css").status_code == 404
