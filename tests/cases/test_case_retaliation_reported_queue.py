"""A complainant who answers a check-in while the case is open that something happened to them because they
reported: the body's staff are told on their dashboard and in a "Retaliation reported" queue, until one of them
marks the report as seen (audited); another body's staff see neither the count nor the case. A later "yes" brings the
case back."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.sms.operations import ask_due_check_ins
from tests.cases.conftest import post_case_form
from tests.cases.test_case_dashboard import figures
from tests.factories import staff_client
from tests.intake.conftest import open_case
from tests.intake.test_intake_retaliation_open import WORDS, answer, investigated_and_asked

LABEL = "retaliation reported, not yet seen"


def test_a_yes_is_counted_and_listed_for_the_body_until_marked_seen(client, app, clock, make_user):
    reported = investigated_and_asked(client, clock, make_user)
    case_id, reference = reported.case.id, reported.case.reference
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    own = staff_client(app, investigator)
    other = staff_client(app, make_user(Role.INVESTIGATOR, body="justice_inspectorate"))
    admin = staff_client(app, make_user(Role.ADMIN))
    assert figures(own)[LABEL] == "0"

    answer(client, "yes", WORDS)
    assert figures(own)[LABEL] == "1" and figures(own)["tab retaliation"] == "1"
    assert figures(admin)[LABEL] == "1"
    assert figures(other)[LABEL] == "0"
    assert reference in own.get("/staff/cases?queue=retaliation").get_data(as_text=True)
    assert reference not in other.get("/staff/cases?queue=retaliation").get_data(as_text=True)
    assert "Mark as seen" in own.get(f"/staff/cases/{case_id}").get_data(as_text=True)

    refused = post_case_form(other, case_id, "retaliation-seen", "retaliation_seen")
    assert refused.status_code == 404
    assert figures(own)[LABEL] == "1"

    response = post_case_form(own, case_id, "retaliation-seen", "retaliation_seen")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert figures(own)[LABEL] == "0" and figures(admin)[LABEL] == "0"
    assert reference not in own.get("/staff/cases?queue=retaliation").get_data(as_text=True)
    page = own.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert 'id="retaliation-reported"' in page and "Mark as seen" not in page
    assert "Seen by" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.retaliation_seen"))
    assert entry is not None and entry.after == {"reports": 1}
    assert WORDS not in str(entry.after)

    again = post_case_form(own, case_id, "retaliation-seen", "retaliation_seen")
    assert again.status_code == 409  # nothing left to mark

    clock.advance(days=30)  # the next check-in, answered "yes" again: back in the queue
    assert ask_due_check_ins(utcnow()) == 1
    db.session.commit()
    assert open_case(client, reported.code).status_code == 303
    answer(client, "yes", "They came back last night.")
    assert figures(staff_client(app, investigator))[LABEL] == "1"  # signed in again after a month


def test_a_no_is_not_counted(client, app, clock, make_user):
    investigated_and_asked(client, clock, make_user)
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    answer(client, "no")
    assert figures(own)[LABEL] == "0"


def test_the_count_and_the_queue_are_in_french(client, app, clock, make_user):
    investigated_and_asked(client, clock, make_user)
    answer(client, "yes", WORDS)
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    own.get("/language/fr")
    html = own.get("/staff/").get_data(as_text=True)
    assert "représailles signalées, pas encore vues" in html
    assert "Représailles signalées" in own.get("/staff/cases?queue=retaliation").get_data(as_text=True)
