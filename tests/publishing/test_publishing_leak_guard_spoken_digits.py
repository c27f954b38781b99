"""The complainant's phone number written in words, as people write a number out to get past a filter or dictate it:
"zero seven six five five five one two three", "oh seven six double five five...", "seventy-six", digits and words
mixed, in French ("zéro sept six...") or in Krio ("ziro sevin siks..."). Every reader rebuilds the number; the
assistant proposed nothing and the leak guard let it through, so the answer went out with it, its feeds, open data
and Open311 too. Only the complainant's own number is looked for, so other numbers written in words are left
alone."""
from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus
from tests.publishing.test_publishing_leak_guard_lookalikes import CONTACT, FINDINGS, _submitted_then_approved

WRITTEN = [
    "zero seven six five five five one two three",
    "Zero Seven Six, Five Five Five, One Two Three",
    "oh seven six double five five one two three",
    "0 7 6 five five five 1 2 3",
    "zero-seven-six / five-five-five / one-two-three",
    "two three two, seven six, triple five, one two three",
    "zero seventy-six five fifty-five one twenty-three",
    "z\u00e9ro sept six cinq cinq cinq un deux trois",
    "ziro sevin siks fayv fayv fayv wan tu tri",
]


@pytest.mark.parametrize("written", WRITTEN)
def test_the_complainants_number_in_words_is_refused_with_every_proposal_unticked(
        new_case, make_user, browser_for, client, written):
    response, public = _submitted_then_approved(new_case, make_user, browser_for, client,
                                                f"We called the complainant on {written} to apologise.")
    assert written not in public
    assert response.status_code == 400
    assert "the complainant's phone number" in unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(Publication)).status is PublicationStatus.DRAFT


@pytest.mark.parametrize("written", WRITTEN)
def test_the_complainants_number_in_words_is_hidden_as_proposed(new_case, publish, client, written):
    case = new_case(CaseStatus.RESPONDED, contact=CONTACT, findings=FINDINGS,
                    draft_public_response=f"We called the complainant on {written} to apologise.")
    publish(case)
    public = unescape(client.get(f"/published/{case.reference}").get_data(as_text=True))
    assert "We called the complainant on [phone number] to apologise." in public


@pytest.mark.parametrize("text", [
    "Two officers took one phone and five five five leones; seven six people saw it at one.",
    "Un agent a pris deux t\u00e9l\u00e9phones et cinq sacs; sept six personnes l'ont vu.",
])
def test_other_numbers_in_words_are_not_taken_for_the_complainants(new_case, make_user, browser_for, client, text):
    response, public = _submitted_then_approved(new_case, make_user, browser_for, client, text)
    assert response.status_code == 302
    assert db.session.scalar(select(Publication)).status is PublicationStatus.PUBLISHED
    assert text in public
