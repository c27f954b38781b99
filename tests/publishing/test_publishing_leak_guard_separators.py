"""The complainant's phone number written with the marks people put between groups of digits other than spaces,
dots, hyphens and brackets: commas (as in a sum), dashes a word processor puts in place of a hyphen, a middle dot
or a bullet, an underscore, a pipe. The reader sees the number; the assistant proposed nothing and the leak guard
let it through, so an answer went out with the number once its author unticked what little was proposed, or at
once when nothing was. The assistant now proposes the complainant's own number however it is cut, and the leak
guard refuses it, unticked or not; digits that are not the complainant's number are left alone."""
from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus
from tests.publishing.test_publishing_leak_guard_lookalikes import CONTACT, FINDINGS, _submitted_then_approved

WRITTEN = [
    "076,555,123",
    "+232,76,555,123",
    "076\u2013555\u2013123",  # en dash
    "076 \u2014 555 \u2014 123",  # em dash with spaces
    "076\u00b7555\u00b7123",  # middle dot
    "076 \u2022 555 \u2022 123",  # bullet
    "076_555_123",
    "076|555|123",
    "076 / 555 - 123",
]


@pytest.mark.parametrize("written", WRITTEN)
def test_the_complainants_number_cut_by_other_marks_is_refused_with_every_proposal_unticked(
        new_case, make_user, browser_for, client, written):
    response, public = _submitted_then_approved(new_case, make_user, browser_for, client,
                                                f"We called the complainant on {written} to apologise.")
    assert written not in public
    assert response.status_code == 400
    assert "the complainant's phone number" in unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(Publication)).status is PublicationStatus.DRAFT


@pytest.mark.parametrize("written", WRITTEN)
def test_the_complainants_number_cut_by_other_marks_is_hidden_as_proposed(new_case, publish, client, written):
    case = new_case(CaseStatus.RESPONDED, contact=CONTACT, findings=FINDINGS,
                    draft_public_response=f"We called the complainant on {written} to apologise.")
    publish(case)
    public = unescape(client.get(f"/published/{case.reference}").get_data(as_text=True))
    assert "We called the complainant on [phone number] to apologise." in public
    assert "555" not in public


@pytest.mark.parametrize("text", [
    "They demanded Le 1,000,000 and took 76,555 from the shop; 123 people saw it.",
    "Cases 76|555 and 12_3 were closed \u2013 2026 \u00b7 page 7.",
])
def test_other_numbers_cut_by_those_marks_are_not_taken_for_the_complainants(
        new_case, make_user, browser_for, client, text):
    response, public = _submitted_then_approved(new_case, make_user, browser_for, client, text)
    assert response.status_code == 302
    assert db.session.scalar(select(Publication)).status is PublicationStatus.PUBLISHED
    assert text in public
