"""In Chromium, the share requests page of a body asked to share its cases, and the related cases and named
subjects on a case page: each button says which request, related case or subject it decides, and the table's headers are column headers."""
from __future__ import annotations

import datetime as dt

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns.operations import first_allegation, propose_related_cases, propose_subject_links
from civicwatch.patterns.sharing import request_share
from civicwatch.taxonomy.models import District
from tests.browser.test_case_workflow_browser import sign_in
from tests.browser.test_disclosure_queue_browser import BUTTONS
from tests.browser.test_staff_row_actions_browser import REPEATED_NAMES
from tests.cases.conftest import make_case  # noqa: F401  (the fixture)
from tests.patterns.test_subjects import load_register

pytestmark = pytest.mark.browser

TEXTS = ("Soldiers at the Tongo Field checkpoint beat the bus driver with rifle butts and took his money.",
         "Police at the Kenema lorry park held two traders overnight and took their goods without a receipt.")


def test_each_share_request_has_buttons_that_name_it(live_server, page, make_user, make_case, clock):
    """Every pending request's buttons read "Share" and "Refuse": nothing tells a screen reader user which
    case and which asking body a button decides."""
    kenema = db.session.query(District).filter_by(code="kenema").one()
    asker = make_user(Role.INVESTIGATOR, body="police_oversight")
    for text in TEXTS:
        make_case(CaseStatus.INVESTIGATING, body="human_rights_commission", text=text, district=kenema,
                  created_at=clock.now - dt.timedelta(days=3))
        new = make_case(CaseStatus.RECEIVED, body="police_oversight", text=text, district=kenema,
                        created_at=clock.now)
        [relation] = propose_related_cases(new)
        request_share(new, asker, relation)
    db.session.commit()
    sign_in(page, live_server, make_user(Role.INVESTIGATOR, body="human_rights_commission"))
    page.goto(f"{live_server}/staff/patterns/shares")
    assert page.locator("main tbody tr").count() == 2
    assert page.evaluate(REPEATED_NAMES) == []
    assert page.evaluate("[...document.querySelectorAll('main th')].filter(th => th.scope !== 'col').length") == 0


def test_each_related_case_has_buttons_that_name_it(live_server, page, make_user, make_case, clock):
    """On a case page with two possible duplicates, each one's buttons read "Link" and "Dismiss": nothing tells
    a screen reader user which related case a button decides."""
    kenema = db.session.query(District).filter_by(code="kenema").one()
    for days in (3, 5):
        make_case(CaseStatus.INVESTIGATING, body="police_oversight", text=TEXTS[0], district=kenema,
                  created_at=clock.now - dt.timedelta(days=days))
    new = make_case(CaseStatus.INVESTIGATING, body="police_oversight", text=TEXTS[0], district=kenema,
                    created_at=clock.now)
    assert len(propose_related_cases(new)) == 2
    db.session.commit()
    sign_in(page, live_server, make_user(Role.INVESTIGATOR, body="police_oversight"))
    page.goto(f"{live_server}/staff/cases/{new.id}")
    assert page.evaluate(BUTTONS) == []


def test_each_subject_named_in_a_case_has_buttons_that_name_it(live_server, page, make_user, make_case):
    """A case that names a checkpoint and a sergeant of the register: each proposed link's buttons read
    "Confirm" and "Reject", not which unit, post or officer they decide."""
    load_register("police_oversight")
    bo = db.session.query(District).filter_by(code="bo").one()
    case = make_case(CaseStatus.INVESTIGATING, district=bo,
                     text="Officers at the Bo Junction post took money from every bus. Sgt Kamara kept it.")
    first_allegation(case)
    propose_subject_links(case)
    db.session.commit()
    sign_in(page, live_server, make_user(Role.INVESTIGATOR, body="police_oversight"))
    page.goto(f"{live_server}/staff/cases/{case.id}")
    assert page.locator(".case-subjects li").count() == 2
    assert page.evaluate(BUTTONS) == []
