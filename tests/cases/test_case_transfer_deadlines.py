"""A case in progress sent on to another body starts afresh there: new deadlines counted from the day it arrives.
A clock the old body stopped to wait for the complainant stays stopped, but only from then: the weeks the old
body waited before sending the case on are not given to the new body a second time when the clock restarts. The old
body's extension stays in the case's history; the new body's fresh deadline comes with its own right to extend once.
A case sent back for acknowledgement at its own body has a fresh time to be acknowledged, not the one long past."""
from __future__ import annotations

import datetime as dt

from civicwatch.accounts.models import Role
from civicwatch.cases.deadlines import acknowledge_deadline, respond_deadline
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.workdays import working_calendar
from tests.cases.conftest import fresh, post_case_form


def test_a_case_sent_on_while_waiting_for_the_complainant_gains_only_the_new_body_s_wait(make_case, make_user,
                                                                                          signed_in, clock):
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight", created_at=clock.now - dt.timedelta(days=2))
    old_body = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert post_case_form(old_body, case.id, "messages", "message", text="Which day did it happen?",
                          wait_for_reply="y").status_code == 302
    clock.advance(days=28)  # four weeks of waiting at the old body
    new_body = db.session.query(Body).filter_by(code="anti_corruption_commission").one()
    triage = signed_in(make_user(Role.TRIAGE))
    assert post_case_form(triage, case.id, "route", "route", body=str(new_body.id),
                          reason="The complaint is about a bribe.").status_code == 302
    sent_on = clock.now
    case = fresh(case)
    fresh_acknowledge, fresh_respond = acknowledge_deadline(case, new_body, sent_on), respond_deadline(case, new_body,
                                                                                                       sent_on)
    assert (case.status, case.acknowledge_due_at, case.respond_due_at) == (CaseStatus.TRIAGED, fresh_acknowledge,
                                                                           fresh_respond)
    assert case.waiting_since is not None  # still waiting for the complainant's answer

    clock.advance(days=7)  # a week more, now at the new body
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="anti_corruption_commission"))
    assert post_case_form(investigator, case.id, "clock", "clock").status_code == 302
    calendar = working_calendar(sent_on)
    waited = calendar.working_days_between(sent_on, clock.now)
    case = fresh(case)
    assert case.waiting_since is None
    assert case.acknowledge_due_at == calendar.add_working_days(fresh_acknowledge, waited)
    assert case.respond_due_at == calendar.add_working_days(fresh_respond, waited)


def test_a_case_sent_on_after_an_extension_gives_the_new_body_its_own_extension(make_case, make_user, signed_in,
                                                                                clock):
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight", created_at=clock.now - dt.timedelta(days=2))
    old_body = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert post_case_form(old_body, case.id, "extend", "extend", days="5",
                          reason="The police file is with the prosecutor.").status_code == 302
    clock.advance(days=3)
    new_body = db.session.query(Body).filter_by(code="anti_corruption_commission").one()
    triage = signed_in(make_user(Role.TRIAGE))
    assert post_case_form(triage, case.id, "route", "route", body=str(new_body.id),
                          reason="The complaint is about a bribe.").status_code == 302
    case = fresh(case)
    assert case.respond_due_at == respond_deadline(case, new_body, clock.now)
    assert (case.deadline_extended_at, case.deadline_extension_reason) == (None, None)
    assert [event.kind for event in case.events].count("deadline_extended") == 1  # the old extension, on the record

    investigator = signed_in(make_user(Role.INVESTIGATOR, body="anti_corruption_commission"))
    page = investigator.get(f"/staff/cases/{case.id}").text
    assert "The police file is with the prosecutor." not in page
    assert "Extend the deadline to answer (once)" in page
    response = post_case_form(investigator, case.id, "extend", "extend", days="5",
                              reason="We need the bank's records.")
    assert response.status_code == 302, response.text[:500]
    case = fresh(case)
    assert case.deadline_extension_reason == "We need the bank's records."
    assert [event.kind for event in case.events].count("deadline_extended") == 2


def test_a_case_sent_back_for_acknowledgement_at_its_body_has_a_fresh_acknowledgement_deadline(
        make_case, make_user, signed_in, clock):
    case = make_case(CaseStatus.ACKNOWLEDGED, body="police_oversight", created_at=clock.now - dt.timedelta(days=20))
    body, respond_due = case.body, case.respond_due_at
    assert case.acknowledge_due_at < clock.now
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    response = post_case_form(investigator, case.id, "status/triaged", "to-triaged",
                              reason="Acknowledged by the wrong unit.")
    assert response.status_code == 302, response.text[:500]
    case = fresh(case)
    assert (case.status, case.acknowledged_at) == (CaseStatus.TRIAGED, None)
    assert case.acknowledge_due_at == acknowledge_deadline(case, body, clock.now)
    assert case.respond_due_at == respond_due  # the answer is still owed from receipt
    page = investigator.get(f"/staff/cases/{case.id}").text
    assert "Acknowledge by" in page and 'class="badge overdue"' not in page
