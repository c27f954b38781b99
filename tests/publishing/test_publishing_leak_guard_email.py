"""The leak guard, the last check before an answer goes for approval, finds the complainant's email however it is
written out to get past robots ("name [at] example [dot] org"), even when the author unticked the assistant's
proposal for it."""
from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus
from tests.publishing.conftest import publication_form
from tests.publishing.test_publishing_workflow import start_draft

CONTACT = {"name": "Fatmata Demo-Conteh", "email": "fatmata.demo@example.org"}
FINDINGS = "The complainant reported that money was taken at the checkpoint."


def submit_with_everything_unticked(author, case):
    """A draft started from the findings, every proposal of the assistant unticked, submitted for approval: the
    draft's address and the answer."""
    url = start_draft(author, case)
    form = publication_form(author.get(url).get_data(as_text=True))
    for key in [k for k in form if k.startswith("hide-")]:
        form[key] = ""
    form["submit_for_approval"] = "Submit for approval"
    return url, author.post(url, data=form)


@pytest.mark.parametrize("written", [
    "fatmata.demo [at] example.org",
    "fatmata.demo (at) example (dot) org",
    "fatmata dot demo at example dot org",
    "FATMATA.DEMO [AT] EXAMPLE [DOT] ORG",
    "fatmata.demo @ example .org",
    "fatmata.demo@example.org",
])
def test_the_complainants_email_written_out_is_still_refused(new_case, make_user, browser_for, written):
    case = new_case(CaseStatus.RESPONDED, contact=CONTACT, findings=FINDINGS,
                    draft_public_response=f"The file was sent to {written} last week.")
    _, response = submit_with_everything_unticked(browser_for(make_user(Role.INVESTIGATOR)), case)
    assert response.status_code == 400
    assert "the complainant's email address" in unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(Publication)).status is PublicationStatus.DRAFT


def test_parts_of_the_email_apart_are_not_taken_for_it(new_case, make_user, browser_for):
    case = new_case(CaseStatus.RESPONDED, contact=CONTACT, findings=FINDINGS,
                    draft_public_response="Look at example.org for the demo of the new form.")
    _, response = submit_with_everything_unticked(browser_for(make_user(Role.INVESTIGATOR)), case)
    assert response.status_code == 302
    assert db.session.scalar(select(Publication)).status is PublicationStatus.AWAITING_APPROVAL
