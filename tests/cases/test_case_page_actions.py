"""The case page and its actions through HTTP: audit of views, optimistic locking, notes versus messages,
the deadline clock, recusal, findings and remedies, rejection with a reason the complainant sees."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.deadlines import acknowledge_deadline, respond_deadline
from civicwatch.cases.models import CaseEvent, CaseMessage, CaseStatus, MessageKind, Outcome, RemedyStatus
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.workdays import working_calendar
from tests.cases.conftest import fresh, post_case_form

PHONE = "+23276555123"


def audit_actions(case_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.case_id == case_id)
                                   .order_by(AuditEntry.seq)))


def outbox(case_id: int) -> list[OutboundMessage]:
    return list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.case_id == case_id)))


def test_every_view_of_a_case_is_audited(make_case, make_user, signed_in):
    case = make_case(CaseStatus.TRIAGED)
    auditor = make_user(Role.AUDITOR)
    client = signed_in(auditor)
    assert client.get(f"/staff/cases/{case.id}").status_code == 200
    client.get(f"/staff/cases/{case.id}")
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id,
                                                               AuditEntry.action == "case.view")))
    assert [e.user_id for e in entries] == [auditor.id, auditor.id]
    page = client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "<form method=\"post\" action=\"/staff/cases/" not in page  # auditors are offered no action


def test_every_case_form_carries_the_version(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING)
    page = signed_in(make_user(Role.INVESTIGATOR)).get(f"/staff/cases/{case.id}").get_data(as_text=True)
    forms = page.count('<form method="post" action="/staff/cases/')
    assert forms >= 8
    assert page.count(f'-version" type="hidden" value="{case.version}"') == forms


def test_a_stale_save_is_a_conflict_and_keeps_the_typed_text(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING)
    first, second = signed_in(make_user(Role.INVESTIGATOR)), signed_in(make_user(Role.INVESTIGATOR))
    version = case.version
    response = post_case_form(first, case.id, "findings", "findings", version=version,
                              outcome="substantiated", findings="The first investigator's findings.")
    assert response.status_code == 302
    response = post_case_form(second, case.id, "findings", "findings", version=version,
                              outcome="unfounded", findings="The second investigator's findings.")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this case" in page and "The second investigator&#39;s findings." in page
    case = fresh(case)
    assert (case.outcome, case.findings) == (Outcome.SUBSTANTIATED, "The first investigator's findings.")


def test_notes_stay_internal_messages_reach_the_complainant(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING, phone=PHONE)
    client = signed_in(make_user(Role.INVESTIGATOR))
    assert post_case_form(client, case.id, "notes", "note", text="Suspect is the commander's nephew.").status_code == 302
    assert outbox(case.id) == []
    assert post_case_form(client, case.id, "messages", "message", text="Which day did it happen?",
                          wait_for_reply="y").status_code == 302
    (sms,) = outbox(case.id)
    assert "Which day did it happen?" in sms.text and case.reference in sms.text and sms.purpose == "question"
    messages = {m.kind: m for m in db.session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id))}
    assert messages[MessageKind.NOTE].body == "Suspect is the commander's nephew."
    assert messages[MessageKind.TO_COMPLAINANT].channel.value == "sms"
    assert fresh(case).waiting_since is not None
    page = client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "Internal note" in page and "Staff only" in page and "Waiting for complainant" in page
    assert {"case.note", "case.message", "case.clock_pause"} <= set(audit_actions(case.id))


def test_a_message_form_sent_twice_reaches_the_complainant_once(make_case, make_user, signed_in):
    """A double click, or a browser sending the form again: the second copy carries the version the first moved
    on from, and is refused as stale with the text kept for the sender."""
    case = make_case(CaseStatus.INVESTIGATING, phone=PHONE)
    client = signed_in(make_user(Role.INVESTIGATOR))
    version = fresh(case).version
    first = post_case_form(client, case.id, "messages", "message", version=version, text="Which day was it?")
    second = post_case_form(client, case.id, "messages", "message", version=version, text="Which day was it?")
    assert (first.status_code, second.status_code) == (302, 409)
    assert "Which day was it?" in second.get_data(as_text=True)
    assert len(outbox(case.id)) == 1
    assert len(db.session.scalars(select(CaseMessage).where(CaseMessage.kind == MessageKind.TO_COMPLAINANT)).all()) == 1


def test_restarting_the_clock_moves_deadlines_by_the_time_waited(make_case, make_user, signed_in, clock):
    waited_from = utcnow() - dt.timedelta(days=3)
    case = make_case(CaseStatus.INVESTIGATING, waiting_since=waited_from)
    due = case.respond_due_at
    client = signed_in(make_user(Role.INVESTIGATOR))
    assert post_case_form(client, case.id, "clock", "clock").status_code == 302
    case = fresh(case)
    assert case.waiting_since is None
    calendar = working_calendar(due)
    stood_still = calendar.working_days_between(waited_from, utcnow())
    assert stood_still >= 1  # three days always hold a working day
    assert case.respond_due_at == calendar.add_working_days(due, stood_still)


def test_a_triage_case_sent_to_a_body_keeps_the_time_its_clock_stood_still(make_case, make_user, signed_in, clock):
    """Sending it on recomputes its deadlines from receipt, by the new body's rules: the three days it waited for
    the complainant stay added, as they would have at the first body."""
    case = make_case(CaseStatus.TRIAGED, body=None, waiting_since=utcnow() - dt.timedelta(days=3))
    triage = signed_in(make_user(Role.TRIAGE))
    assert post_case_form(triage, case.id, "clock", "clock").status_code == 302  # the complainant answered
    body = db.session.scalar(select(Body).where(Body.code == "human_rights_commission"))
    assert post_case_form(triage, case.id, "route", "route", body=str(body.id),
                          reason="It is about a beating.").status_code == 302
    case = fresh(case)
    by_the_rules = (acknowledge_deadline(case, body, case.created_at), respond_deadline(case, body, case.created_at))
    calendar = working_calendar(case.created_at)
    stood_still = calendar.working_days_between(utcnow() - dt.timedelta(days=3), utcnow())
    assert stood_still >= 1
    assert (case.acknowledge_due_at, case.respond_due_at) == tuple(
        calendar.add_working_days(due, stood_still) for due in by_the_rules)


def test_recusal_returns_the_case_and_locks_the_user_out(make_case, make_user, signed_in):
    investigator = make_user(Role.INVESTIGATOR)
    case = make_case(CaseStatus.INVESTIGATING, assigned_to_id=investigator.id)
    client = signed_in(investigator)
    response = post_case_form(client, case.id, "recuse", "recuse", reason="The officer is my brother-in-law.")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/cases"
    assert fresh(case).assigned_to_id is None
    assert client.get(f"/staff/cases/{case.id}").status_code == 404
    assert f"/staff/cases/{case.id}\"" not in client.get("/staff/cases").get_data(as_text=True)
    colleague = signed_in(make_user(Role.INVESTIGATOR))
    page = colleague.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert investigator.name not in page.split("Assign to an investigator")[1].split("</select>")[0]


def test_assign_only_to_investigators_of_the_body(make_case, make_user, signed_in):
    case = make_case(CaseStatus.ACKNOWLEDGED)
    colleague = make_user(Role.INVESTIGATOR)
    outsider = make_user(Role.INVESTIGATOR, body="anti_corruption_commission")
    client = signed_in(make_user(Role.INVESTIGATOR))
    assert post_case_form(client, case.id, "assign", "assign", assignee=str(outsider.id)).status_code == 400
    assert post_case_form(client, case.id, "assign", "assign", assignee=str(colleague.id)).status_code == 302
    assert fresh(case).assigned_to_id == colleague.id
    assert f"/staff/cases/{case.id}\"" in signed_in(colleague).get("/staff/cases?queue=mine").get_data(as_text=True)


def test_findings_recommendations_remedies_and_the_response(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING, phone=PHONE)
    client = signed_in(make_user(Role.INVESTIGATOR))
    early = post_case_form(client, case.id, "status/responded", "to-responded", response="Here is our answer.")
    assert early.status_code == 409 and "Record the outcome and findings" in early.get_data(as_text=True)
    assert post_case_form(client, case.id, "findings", "findings", outcome="partly_substantiated",
                          findings="The beating is confirmed; the theft is not.").status_code == 302
    assert post_case_form(client, case.id, "recommendations", "recommend",
                          text="Discipline the two officers.").status_code == 302
    recommendation = fresh(case).recommendations[0]
    assert post_case_form(client, case.id, "draft-response", "draft",
                          text="The authority partly upheld a complaint about a beating.").status_code == 302
    assert post_case_form(client, case.id, "status/responded", "to-responded",
                          response="We found you were beaten. The officers will be disciplined.").status_code == 302
    case = fresh(case)
    assert case.status is CaseStatus.RESPONDED and case.responded_at is not None
    assert case.draft_public_response.startswith("The authority partly upheld")
    assert any("officers will be disciplined" in m.text and m.purpose == "answer" for m in outbox(case.id))
    response = post_case_form(client, case.id, f"recommendations/{recommendation.id}", f"remedy-{recommendation.id}",
                              status="implemented")
    assert response.status_code == 302
    assert fresh(case).recommendations[0].status is RemedyStatus.IMPLEMENTED
    assert {"case.findings", "case.recommend", "case.draft_response", "case.respond", "case.remedy"} <= set(
        audit_actions(case.id))


def test_rejection_reason_is_public_and_sent(make_case, make_user, signed_in):
    case = make_case(CaseStatus.TRIAGED, phone=PHONE)
    client = signed_in(make_user(Role.TRIAGE))
    missing = post_case_form(client, case.id, "status/rejected", "to-rejected", reason="")
    assert missing.status_code == 400 and "Give a reason" in missing.get_data(as_text=True)
    assert post_case_form(client, case.id, "status/rejected", "to-rejected",
                          reason="This is a land dispute between neighbours; see the local court.").status_code == 302
    case = fresh(case)
    assert case.status is CaseStatus.REJECTED and case.status_reason.startswith("This is a land dispute")
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.to_status == "rejected"))
    assert event.public and event.detail["reason"] == case.status_reason
    assert any("land dispute" in m.text for m in outbox(case.id))


def test_invalid_transition_and_wrong_status_are_clear_conflicts(make_case, make_user, signed_in):
    case = make_case(CaseStatus.TRIAGED)
    client = signed_in(make_user(Role.INVESTIGATOR))
    response = post_case_form(client, case.id, "status/closed", "to-closed")
    assert response.status_code == 409
    assert "A case that is triaged cannot become closed" in response.get_data(as_text=True)
    response = post_case_form(client, case.id, "findings", "findings", outcome="unfounded", findings="x")
    assert response.status_code == 409 and "Findings are recorded while" in response.get_data(as_text=True)
    assert post_case_form(client, case.id, "status/nonsense", "to-nonsense").status_code == 404


def test_auditors_change_nothing(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING)
    client = signed_in(make_user(Role.AUDITOR))
    before = len(audit_actions(case.id))
    assert post_case_form(client, case.id, "notes", "note", text="hello").status_code == 403
    assert len(audit_actions(case.id)) == before
    assert db.session.scalar(select(CaseMessage.id).where(CaseMessage.case_id == case.id)) is None


def test_text_boxes_that_go_by_sms_show_how_many_texts_they_take(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING, phone=PHONE, outcome=Outcome.SUBSTANTIATED,
                     findings="The officer shouted; he is warned.")
    client = signed_in(make_user(Role.INVESTIGATOR))
    page = client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    prefix = f"CivicWatch {case.reference}: "
    assert f"Sent by SMS: 1 text holds {160 - len(prefix)} characters; this one: 1 text." in page
    # The response's SMS ends with how to rate or appeal by text, which takes room too.
    room = 160 - len(prefix) - len(" Reply RATE 1-5 or APPEAL and why.")
    assert (f"Sent by SMS: 1 text holds {room} characters; this one: 1 text. The text ends with "
            '"Reply RATE 1-5 or APPEAL and why."') in page
    assert 'data-sms-for="message-text"' in page and "js/sms-length.js" in page
    # Screen readers read each guide with its text box.
    guided = re.findall(r'data-sms-for="([^"]+)"', page)
    assert len(guided) == 2
    for box in guided:
        assert box + "-sms" in described_by(page, box), box
    # Rendered by the server: a form shown again with its text counts that text, without JavaScript.
    response = post_case_form(client, case.id, "messages", "message", text="a" * 1601)
    assert response.status_code == 400
    again = response.get_data(as_text=True)
    assert "this one: 11 texts." in again
    assert "a" * 1601 + "</textarea>" in again, "the whole message is given back, nothing cut"
    assert described_by(again, "message-text").split()[-2:] == ["message-text-error", "message-text-sms"]


def described_by(page: str, element_id: str) -> str:
    tag = re.search(rf'<textarea[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert tag, element_id
    match = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
    return match.group(1) if match else ""


def test_no_sms_guide_when_the_complainant_gets_no_texts(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING)
    page = signed_in(make_user(Role.INVESTIGATOR)).get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "Sent by SMS" not in page and "sms-length.js" not in page
    assert "-sms" not in described_by(page, "message-text")


def test_a_view_from_a_link_on_another_site_is_marked_so_in_the_audit_log(make_case, make_user, signed_in):
    """A link on another site takes the staff session along (SameSite=Lax): anyone who can make a staff member
    click it puts "opened the case" in the audit log in their name. The page still opens (a link in a webmail is
    legitimate), but the entry says where the click came from, and the audit page shows it."""
    case = make_case(CaseStatus.TRIAGED)
    client = signed_in(make_user(Role.INVESTIGATOR))
    assert client.get(f"/staff/cases/{case.id}", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200
    client.get(f"/staff/cases/{case.id}", headers={"Sec-Fetch-Site": "same-origin"})
    client.get(f"/staff/cases/{case.id}")
    views = db.session.scalars(select(AuditEntry.after).where(AuditEntry.case_id == case.id,
                                                             AuditEntry.action == "case.view")
                               .order_by(AuditEntry.seq)).all()
    assert views == [{"opened_from": "another_site"}, None, None]
    page = signed_in(make_user(Role.AUDITOR)).get(f"/staff/audit/cases/{case.id}").get_data(as_text=True)
    assert "<td>Opened from</td><td><span class=\"muted\">none</span></td><td>another site</td>" in page
