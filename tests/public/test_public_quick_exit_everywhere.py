""""Leave this site quickly" is on every page a citizen reaches from the home page, not only on the report and
follow-up pages: the home page links to /transparency and /published, and a citizen who follows them on a shared
phone must keep the exit. Staff pages do not show it."""
from __future__ import annotations

import pytest

EXIT = "Leave this site quickly"


@pytest.mark.parametrize("path", ["/", "/report", "/track", "/privacy", "/transparency", "/transparency/data",
                                  "/published", "/no-such-page"])
def test_every_public_page_offers_the_quick_exit(client, path):
    html = client.get(path).get_data(as_text=True)
    assert EXIT in html, f"{path} has no quick exit"


def test_each_page_has_one_exit_and_staff_pages_none(client, make_user, login_as):
    assert client.get("/report").get_data(as_text=True).count(EXIT) == 1
    login_as(make_user("admin"))
    assert EXIT not in client.get("/staff/").get_data(as_text=True)
