"""A public page shown to a browser that follows a case carries the session's token in the quick-exit link: it
must not be kept by browsers and proxies as a public page, while the same page without a case still is."""
from __future__ import annotations

import re

import pytest

from tests.intake.conftest import open_case


@pytest.mark.parametrize("path", ["/transparency", "/published"])
def test_a_public_page_with_the_sessions_exit_token_is_not_publicly_cacheable(client, reported, path):
    open_case(client, reported.code)
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r"/track/leave-quickly\?t=[^\"&]+", html), "the exit link carries the session's token"
    cache_control = response.headers.get("Cache-Control", "")
    assert cache_control == "private, no-store", f"{path}: a page holding a session token is sent as {cache_control!r}"


def test_a_public_page_without_a_case_is_still_cacheable(client):
    assert client.get("/transparency").headers["Cache-Control"] == "public, max-age=60"
