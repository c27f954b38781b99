"""A reference as staff get it from a complainant on the phone, in a text or a letter: spaced, without its leading
zeros, without dashes. It finds the case, as the printed form does, instead of "No cases here match"."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.cases.test_case_queues import listed


def _forms(reference: str) -> list[str]:
    _prefix, year, number = reference.split("-")
    short = str(int(number))
    return [f"CW {year} {number}", f"cw-{year}-{short}", f"CW{year}{number}", f"CW {year}/{short}",
            f"CW-{year}-{short.zfill(4)}", f" CW - {year} - {number} "]


@pytest.mark.parametrize("index", range(6))
def test_a_reference_written_another_way_finds_the_case(make_case, make_user, signed_in, index):
    case = make_case(CaseStatus.INVESTIGATING, text="Beaten at the police post.")
    make_case(CaseStatus.INVESTIGATING, text="Beaten at the police post.")
    client = signed_in(make_user(Role.TRIAGE))

    typed = _forms(case.reference)[index]

    assert listed(client, "/staff/cases?" + f"queue=all&q={typed}".replace(" ", "+").replace("/", "%2F")) == [case.id]


def test_a_reference_written_another_way_outside_the_queue_is_offered(make_case, make_user, signed_in):
    closed = make_case(CaseStatus.CLOSED, body="police_oversight")
    client = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    _prefix, year, number = closed.reference.split("-")

    page = client.get("/staff/cases", query_string={"q": f"cw {year} {int(number)}"}).get_data(as_text=True)

    assert f"{closed.reference} is not in this list" in page


def test_words_that_merely_start_like_a_reference_are_still_words(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING, text="The CWS team came to the checkpoint.")
    client = signed_in(make_user(Role.TRIAGE))

    assert listed(client, "/staff/cases?queue=all&q=CWS+checkpoint") == [case.id]
