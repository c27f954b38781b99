"""submit_complaint / receive_complaint / follow-up operations, on a real database."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases import deadlines
from civicwatch.cases.attachments import AttachmentError, IncomingFile, attachment_path
from civicwatch.cases.identity import contact_of
from civicwatch.cases.models import Case, CaseEvent, CaseMessage, CaseStatus, Channel, MessageKind
from civicwatch.cases.reference_numbers import public_reference
from civicwatch.cases.references import normalise_receipt_code
from civicwatch.crypto import keyed_hash
from civicwatch.database import set_clock
from civicwatch.extensions import db
from civicwatch.intake import operations, queries
from civicwatch.intake.operations import Submission, SubmissionError
from civicwatch.taxonomy.workdays import working_calendar

TEXT = "Two police officers took my motorbike at the checkpoint and asked for money to return it."


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def test_submit_complaint_stores_everything_but_the_code(app):
    submission = Submission(
        text=TEXT, channel=Channel.WEB, incident_date=dt.date(2025, 3, 1), district_code="bo",
        location_text="Checkpoint near the market", reported_actor="police", phone="076 123 456",
        email="Someone@Example.org", attachments=[IncomingFile("evidence.png", png_bytes())],
    )
    case, code = operations.submit_complaint(submission)
    db.session.commit()

    assert normalise_receipt_code(code) is not None and len(code) == 19
    stored = db.session.get(Case, case.id)
    assert stored.reference == public_reference(stored.created_at.year, case.id)
    assert stored.status is CaseStatus.RECEIVED and stored.body_id is None
    assert stored.region.code == "southern" and stored.district.code == "bo"  # region implied by district
    assert stored.actor.code == "police" and stored.reported_actor == "police"
    assert stored.acknowledge_due_at is not None and stored.respond_due_at is not None
    assert contact_of(stored) == {"phone": "+23276123456", "email": "Someone@example.org"}
    assert stored.contact_phone_hash == keyed_hash("phone", "+23276123456")
    assert queries.find_case_by_receipt(code).id == case.id
    assert queries.find_case_by_receipt(code.replace(" ", "-")).id == case.id
    [event] = stored.events
    assert (event.kind, event.public) == ("received", True)
    [attachment] = stored.attachments
    assert attachment.content_type == "image/png" and attachment_path(attachment).is_file()
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.submit"))
    assert audit.case_id == case.id and "text" not in (audit.after or {})


def test_anonymous_complaint_has_no_contact(app):
    case, _ = operations.submit_complaint(Submission(text=TEXT, channel=Channel.WEB))
    assert case.identity is None and case.contact_phone_hash is None


TOMORROW = object()  # resolved inside the test, from the clock fixture


@pytest.mark.parametrize("changes, field", [
    ({"text": "too short"}, "text"),
    ({"text": "x" * 5001}, "text"),
    ({"text": "   \x00\x01   "}, "text"),
    ({"incident_date": TOMORROW}, "incident_date"),
    ({"incident_date": dt.date(1900, 1, 1)}, "incident_date"),
    ({"region_code": "atlantis"}, "area"),
    ({"district_code": "nowhere"}, "area"),
    ({"region_code": "eastern", "district_code": "bo"}, "area"),
    ({"reported_actor": "aliens"}, "reported_actor"),
    ({"phone": "12"}, "phone"),
    ({"phone": "not a number at all"}, "phone"),
    ({"email": "not-an-email"}, "email"),
    ({"location_text": "x" * 501}, "location_text"),
])
def test_submit_complaint_refuses_bad_input(app, clock, changes, field):
    tomorrow = clock.now.date() + dt.timedelta(days=1)  # from the test's clock, not from when tests were collected
    values = {"text": TEXT, "channel": Channel.WEB, **{k: (tomorrow if v is TOMORROW else v) for k, v in changes.items()}}
    with pytest.raises(SubmissionError) as caught:
        operations.submit_complaint(Submission(**values))
    assert caught.value.field == field and caught.value.message
    db.session.rollback()
    assert db.session.scalar(select(Case.id)) is None


def test_short_sms_is_kept(app):
    case, _ = operations.submit_complaint(Submission(text="Police beat me", channel=Channel.SMS,
                                                     phone="+23276123456"))
    assert case.text == "Police beat me"


def test_bad_attachment_stores_nothing(app):
    with pytest.raises(AttachmentError, match="not a photo or PDF"):
        operations.submit_complaint(Submission(text=TEXT, channel=Channel.WEB,
                                               attachments=[IncomingFile("x.jpg", b"MZ\x90\x00 not an image")]))
    db.session.rollback()
    assert db.session.scalar(select(Case.id)) is None


def test_receive_complaint_commits_and_routes(app):
    receipt = operations.receive_complaint(Submission(text=TEXT, channel=Channel.WEB))
    db.session.rollback()  # nothing pending: both steps committed
    stored = queries.find_case_by_receipt(receipt.code)
    assert stored.id == receipt.case_id and stored.reference == receipt.reference
    assert stored.routing_explanation["decision"] == "triage"


def test_routing_failure_keeps_the_case_in_triage(app, monkeypatch, caplog):
    import civicwatch.routing.operations as routing

    def broken(case, plan):
        case.body_id = 1
        raise RuntimeError(f"model exploded on {case.text}")

    # Where routing sets its plan on the case: a new case's usual path (before its row is written) and the
    # step-by-step one (in a savepoint) both go through it.
    monkeypatch.setattr(routing, "_set_plan", broken)
    code = operations.receive_complaint(Submission(text=TEXT, channel=Channel.WEB, phone="+23276123456")).code
    stored = queries.find_case_by_receipt(code)
    assert stored is not None and stored.body_id is None
    assert stored.routing_explanation == {"decision": "triage", "reason": "routing failed (RuntimeError)"}
    assert "routing failed" in caplog.text
    assert TEXT not in caplog.text and "+23276123456" not in caplog.text and code not in caplog.text


def test_complainant_message_restarts_the_deadline_clock(app):
    start = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
    set_clock(lambda: start)
    try:
        case, _ = operations.submit_complaint(Submission(text=TEXT, channel=Channel.WEB))
        due = case.respond_due_at
        assert deadlines.pause_deadline_clock(case)
        set_clock(lambda: start + dt.timedelta(days=4))
        message = operations.add_complainant_message(case, "Here is the receipt they gave me.", Channel.WEB,
                                                     [IncomingFile("receipt.png", png_bytes())])
        db.session.commit()
    finally:
        set_clock(None)
    assert case.waiting_since is None
    # Saturday 10 to Wednesday 14 January: Monday, Tuesday and Wednesday stood still.
    assert case.respond_due_at == working_calendar(due).add_working_days(due, 3)
    assert message.kind is MessageKind.FROM_COMPLAINANT
    assert [a.message_id for a in case.attachments] == [message.id]
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "complainant_message"))
    assert event.public and event.detail["clock_resumed"] is True


def test_complainant_message_needs_text_or_file(app):
    case, _ = operations.submit_complaint(Submission(text=TEXT, channel=Channel.WEB))
    with pytest.raises(SubmissionError, match="Write a message"):
        operations.add_complainant_message(case, "  ", Channel.WEB)
    assert deadlines.resume_deadline_clock(case) is False
    assert db.session.scalar(select(CaseMessage.id)) is None


def test_unknown_or_malformed_codes_find_nothing(app):
    operations.submit_complaint(Submission(text=TEXT, channel=Channel.WEB))
    assert queries.find_case_by_receipt("1234 5678 9012 3456") is None
    assert queries.find_case_by_receipt("CW-2026-000001") is None
    assert queries.find_case_by_receipt("") is None
    assert queries.find_case_by_receipt(None) is None


def test_the_place_is_kept_on_one_line_without_direction_controls(app):
    """The place is a one-line field shown beside the case's other details: a line break or a right-to-left
    override typed into it would lay out, or reverse, what staff read after it."""
    case, _ = operations.submit_complaint(Submission(
        text=TEXT, channel=Channel.WEB, location_text="Near the market\r\n\u202eBo road\u202c\tjunction"))
    db.session.commit()
    assert db.session.get(Case, case.id).location_text == "Near the market Bo road junction"


def _codes_drawn_after(monkeypatch, first: str) -> None:
    """The next receipt code drawn is `first` (another case's), then fresh ones as usual."""
    drawn = iter([first])
    real = operations.new_receipt_code
    monkeypatch.setattr(operations, "new_receipt_code", lambda: next(drawn, None) or real())


@pytest.mark.parametrize("texted", [False, True], ids=["web, own transaction", "texted, in a savepoint"])
def test_a_receipt_code_already_taken_is_never_given_out(app, monkeypatch, texted):
    from civicwatch.audit.queries import verify_chain

    earlier = operations.receive_complaint(Submission(text=TEXT, channel=Channel.WEB))
    _codes_drawn_after(monkeypatch, earlier.code)
    if texted:
        case, code = operations.submit_and_route_complaint(Submission(text=TEXT, channel=Channel.SMS))
        db.session.commit()
        case_id = case.id
    else:
        receipt = operations.receive_complaint(Submission(text=TEXT, channel=Channel.WEB))
        code, case_id = receipt.code, receipt.case_id
    db.session.rollback()

    assert code != earlier.code and normalise_receipt_code(code) is not None
    assert queries.find_case_by_receipt(earlier.code).id == earlier.case_id
    assert queries.find_case_by_receipt(code).id == case_id
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
    submitted = db.session.scalars(select(AuditEntry.case_id).where(AuditEntry.action == "case.submit")).all()
    assert sorted(submitted) == sorted([earlier.case_id, case_id])
    assert db.session.get(Case, case_id).routing_explanation["decision"] == "triage"
    assert verify_chain()[1] is None
