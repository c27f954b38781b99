"""The queue's page links carry the search and the filters, and nothing else from the address: a parameter the
filter form does not have is neither passed to the link builder nor taken for an active filter."""
from __future__ import annotations

import re

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.cases.queries import PAGE_SIZE

NEXT = re.compile(r'rel="next" href="([^"]*)"')


@pytest.fixture
def two_pages(make_case, make_user, signed_in):
    for _ in range(PAGE_SIZE + 1):
        make_case(CaseStatus.TRIAGED, text="Beaten at the police post.")
    return signed_in(make_user(Role.ADMIN))


@pytest.mark.parametrize("extra", ["endpoint=cases.detail", "_method=POST", "_external=1", "_anchor=top",
                                   "_scheme=https&_external=1", "values=1"])
def test_a_parameter_the_filters_do_not_have_is_left_out_of_the_page_links(two_pages, extra):
    response = two_pages.get(f"/staff/cases?queue=all&q=police&{extra}")
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    assert NEXT.findall(html) == ["/staff/cases?page=2&amp;queue=all&amp;q=police"]


def test_an_unknown_parameter_is_not_taken_for_an_active_filter(two_pages):
    html = two_pages.get("/staff/cases?queue=all&utm_source=mail").get_data(as_text=True)
    assert "(active)" not in html and 'class="filters" open' not in html
    assert NEXT.findall(html) == ["/staff/cases?page=2&amp;queue=all"]


def test_the_page_links_keep_every_filter(two_pages):
    html = two_pages.get("/staff/cases?queue=all&q=police&status=triaged&urgency=ordinary"
                         "&received_from=2020-01-01&page=1").get_data(as_text=True)
    assert NEXT.findall(html) == ["/staff/cases?page=2&amp;queue=all&amp;q=police&amp;status=triaged"
                                  "&amp;urgency=ordinary&amp;received_from=2020-01-01"]
