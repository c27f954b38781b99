"""A case page form refused because its token expired links back to the case page it was on, not only to the
dashboard. The link is built from the address the form was posted to, never from anything the request claims
(the app asks browsers for no Referer): it stays on this site."""
from __future__ import annotations

import re

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.conftest import csrf_token

BACK = "Go back to the page of the form"


def links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]+)"[^>]*>\s*' + re.escape(BACK), html)


@pytest.mark.parametrize(("path", "prefix"), [("notes", "note"), ("status/withdrawn", "to-withdrawn"),
                                              ("messages", "message")])
def test_an_expired_case_form_links_back_to_the_case(make_user, make_case, signed_in, path, prefix):
    case = make_case(CaseStatus.INVESTIGATING)
    client = signed_in(make_user(Role.INVESTIGATOR))
    stale_token = csrf_token(signed_in(make_user(Role.INVESTIGATOR)), "/staff/")  # valid, but not this session's
    response = client.post(f"/staff/cases/{case.id}/{path}",
                           data={f"{prefix}-csrf_token": stale_token, f"{prefix}-version": str(case.version)},
                           headers={"Referer": "https://evil.example/phish"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page
    assert links(page) == [f"/staff/cases/{case.id}"]
    assert "evil.example" not in page
    assert 'href="/staff/"' in page  # the dashboard stays linked


def test_an_expired_form_on_no_page_of_ours_links_nowhere_else(make_user, signed_in):
    client = signed_in(make_user(Role.INVESTIGATOR))
    response = client.post("//evil.example/staff/cases", data={"csrf_token": "stale"},
                           headers={"Referer": "https://evil.example/phish"})
    assert response.status_code in (400, 404, 405)
    page = response.get_data(as_text=True)
    assert "evil.example" not in page and links(page) == []
