"""What staff type or paste into the queue's search box: a reference copied with invisible characters around it
is still found, and a search with nothing to look for says so instead of listing every case as if they matched."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus, Recusal
from civicwatch.extensions import db
from tests.cases.test_case_queues import listed

NOTHING_TO_SEARCH = "Nothing to search for"


@pytest.mark.parametrize("around", [("\u200b", ""), ("\u202e", "\u202c"), ("\ufeff", "\u200e"), (" ", "\u2069")])
def test_a_reference_pasted_with_invisible_characters_is_found(make_case, make_user, signed_in, around):
    case = make_case(CaseStatus.INVESTIGATING, text="Beaten at the police post.")
    make_case(CaseStatus.INVESTIGATING, text="Beaten at the police post.")
    client = signed_in(make_user(Role.TRIAGE))
    before, after = around
    assert listed(client, f"/staff/cases?queue=all&q={before}{case.reference.lower()}{after}") == [case.id]


@pytest.mark.parametrize("query", ["\U0001f600", "\u202e", "--", "\u200b\u200b", "%"])
def test_a_search_with_no_word_in_it_says_so(make_case, make_user, signed_in, query):
    make_case(CaseStatus.INVESTIGATING, text="Beaten at the police post.")
    client = signed_in(make_user(Role.TRIAGE))
    response = client.get("/staff/cases", query_string={"queue": "all", "q": query})
    assert response.status_code == 200
    assert NOTHING_TO_SEARCH in response.get_data(as_text=True)


def test_words_among_symbols_are_still_searched(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING, text="Beaten at the police post.")
    make_case(CaseStatus.INVESTIGATING, text="They asked for money.")
    client = signed_in(make_user(Role.TRIAGE))
    response = client.get("/staff/cases", query_string={"queue": "all", "q": "\U0001f600 police!"})
    assert NOTHING_TO_SEARCH not in response.get_data(as_text=True)
    assert listed(client, "/staff/cases?queue=all&q=%F0%9F%98%80+police%21") == [case.id]


def test_a_reference_outside_the_queue_shown_is_offered_only_when_the_user_may_open_it(make_case, make_user,
                                                                                    signed_in):
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    closed = make_case(CaseStatus.CLOSED, body="police_oversight")
    recused = make_case(CaseStatus.CLOSED, body="police_oversight")
    other_body = make_case(CaseStatus.CLOSED, body="anti_corruption_commission")
    db.session.add(Recusal(case_id=recused.id, user_id=investigator.id, reason="My brother is the officer."))
    db.session.commit()
    client = signed_in(investigator)

    page = client.get(f"/staff/cases?q={closed.reference}").get_data(as_text=True)  # their body's queue: in progress
    assert f"{closed.reference} is not in this list" in page and f'href="/staff/cases/{closed.id}"' in page
    for hidden in (recused, other_body):  # the same page as for a reference nobody has
        page = client.get(f"/staff/cases?q={hidden.reference}").get_data(as_text=True)
        assert "is not in this list" not in page and f"/staff/cases/{hidden.id}" not in page
        assert "No cases here match these filters." in page
