"""The draft page proposes redactions from the complainant's decrypted contact details, to its author only: a
staff member who may open the draft but not edit it sees no proposals, so their page must not decrypt the contact
details at all. With the contact details made unreadable, a decryption shows as the warning it logs."""
from __future__ import annotations

import logging

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.conftest import csrf_token_from
from tests.publishing.test_publishing_leak_guard_unreadable_contact import CONTACT, _draft, _unreadable

DECRYPTED = "could not be decrypted for redaction"


def _decryptions(caplog) -> int:
    return sum(DECRYPTED in record.getMessage() for record in caplog.records)


def test_a_viewer_who_cannot_edit_the_draft_decrypts_no_contact_details(new_case, make_user, browser_for, caplog):
    caplog.set_level(logging.WARNING)
    case = new_case(CaseStatus.CLOSED, contact=CONTACT)
    author = browser_for(make_user(Role.INVESTIGATOR))
    colleague = browser_for(make_user(Role.INVESTIGATOR))
    draft_url = _draft(author, case)
    assert "Fatmata Conteh" not in colleague.get(draft_url).get_data(as_text=True)
    _unreadable(case)
    caplog.clear()

    seen = colleague.get(draft_url)
    assert seen.status_code == 200
    refused = colleague.post(draft_url, data={"csrf_token": csrf_token_from(seen.get_data(as_text=True))})
    assert refused.status_code == 400  # a form short of fields, answered before any right to edit is checked
    assert _decryptions(caplog) == 0

    assert author.get(draft_url).status_code == 200  # the author's proposals are looked for as before
    assert _decryptions(caplog) == 1
