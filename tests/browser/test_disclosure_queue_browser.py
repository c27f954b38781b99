"""In Chromium, the identity custodian's queue of disclosure requests: each request's form fields carry their own
label, and each button says which request it decides."""
from __future__ import annotations

import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.disclosure.models import DisclosureScope
from civicwatch.disclosure.operations import approve_disclosure, request_disclosure
from civicwatch.extensions import db
from tests.browser.axe import assert_accessible
from tests.browser.test_case_workflow_browser import sign_in
from tests.disclosure.conftest import REASON, staff  # noqa: F401  (the fixture)
from tests.factories import create_case

pytestmark = pytest.mark.browser

# Each form control of the page with the label that names it, and the ids given to more than one element.
LABELS = """() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  return {
    repeated: [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))],
    unlabelled: [...document.querySelectorAll('main textarea, main input:not([type=hidden]), main select')]
      .filter(e => e.labels.length === 0).map(e => e.closest('form').action + ' ' + e.name),
  };
}"""
BUTTONS = """() => {
  const names = [...document.querySelectorAll('main button')].map(b => b.textContent.replace(/\\s+/g, ' ').trim());
  return [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
}"""


def test_each_request_on_the_queue_has_its_own_labelled_fields_and_buttons(live_server, page, staff, clock):
    """Every request's Approve, Refuse and End-the-grant forms use the same ids (hours, note): the label "Why the
    request is refused" points at the first request's approval note, so the refusal boxes have no name for a
    screen reader and a click on their label puts the cursor in another form; and the buttons all read "Approve",
    "Refuse", not which request they decide."""
    cases = [create_case(CaseStatus.INVESTIGATING, contact={"phone": f"+2327655512{n}"}) for n in range(4)]
    requests = [request_disclosure(case, staff.investigator, DisclosureScope.WITHIN_BODY, REASON) for case in cases]
    approve_disclosure(requests[3], staff.second_custodian, 24, None, None)
    db.session.commit()
    sign_in(page, live_server, staff.custodian)
    page.goto(f"{live_server}/staff/disclosures")
    assert page.evaluate(LABELS) == {"repeated": [], "unlabelled": []}
    assert page.evaluate(BUTTONS) == []
    assert_accessible(page, "/staff/disclosures")
