"""A closed case carrying personal content in every place the app keeps it (identity vault, note, message and
its text out, text in, SMS dialogue, attachment on disk, allegation, disclosure request, labelled example, event
reason), staff to act on it, and helpers to run the retention commands."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask import Flask

from civicwatch.accounts.models import Role, User, new_session_token
from civicwatch.accounts.passwords import hash_password
from civicwatch.cases.attachments import IncomingFile, prepare_upload, save_attachment
from civicwatch.cases.models import Case, CaseEvent, CaseShare, CaseStatus, ShareStatus
from civicwatch.cases.operations import add_note, message_complainant
from civicwatch.cases.references import new_receipt_code, receipt_hash
from civicwatch.classify.models import LabelledExample
from civicwatch.crypto import encrypt_text
from civicwatch.database import utcnow
from civicwatch.disclosure.models import DisclosureRequest, DisclosureScope
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation
from civicwatch.phones import phone_hash
from civicwatch.retention.erasure import RetentionRun, apply_retention
from civicwatch.retention.models import LegalHold
from civicwatch.retention.operations import set_schedule
from civicwatch.sms.models import ConversationState, InboundSms, SmsConversation
from tests.conftest import PASSWORD, body_by_code
from tests.factories import create_case, png_bytes
from tests.threads import before_the_first_write_of_this_thread

PHONE = "+23276555123"
EMAIL = "fatmata.witness@example.org"
# Words that appear only in the personal content: none may be found anywhere once the case is erased.
WORDS = "Zebulon Quartermaine"
NOTE = "Quartermaine told me on the phone that the sergeant beat him"
MESSAGE = "Dear Zebulon, please send the clinic report"
TEXT_IN = "Zebulon here, the clinic is on Wilberforce Street"
VICTIM = "Zebulon Quartermaine, aged 19"
REASON = "Call Zebulon about the Wilberforce Street witness"
SECRETS = ("Zebulon", "Quartermaine", "Wilberforce", PHONE, PHONE[1:], EMAIL)


@functools.cache
def shared_password_hash() -> str:
    return hash_password(PASSWORD)


def add_user(name: str, role: Role, body: str | None = None) -> User:
    user = User(email=f"{name}@example.org", name=name, role=role, password_hash=shared_password_hash(),
                body=body_by_code(body) if body else None, session_token=new_session_token())
    db.session.add(user)
    db.session.commit()
    return user


@dataclass
class Staff:
    admin: User
    investigator: User  # of the case's body
    other_investigator: User  # of another body
    triage: User


@pytest.fixture
def staff(app: Flask) -> Staff:
    return Staff(add_user("admin", Role.ADMIN), add_user("investigator", Role.INVESTIGATOR, "police_oversight"),
                 add_user("other", Role.INVESTIGATOR, "human_rights_commission"), add_user("triage", Role.TRIAGE))


def personal_case(staff: Staff, status: CaseStatus = CaseStatus.CLOSED, body: str = "police_oversight",
                  phone: str = PHONE) -> Case:
    """A committed case of `status` whose personal content is everywhere the app keeps it."""
    case = create_case(status, body, text=f"My neighbour {WORDS} was beaten at Wilberforce Street station.",
                       contact={"phone": phone, "email": EMAIL}, location_text="Wilberforce Street",
                       status_reason=f"Closed after talking to {WORDS}")
    asking = create_case(CaseStatus.INVESTIGATING, "human_rights_commission" if body != "human_rights_commission"
                         else "police_oversight")
    add_note(case, staff.triage, NOTE)
    message_complainant(case, staff.triage, MESSAGE)
    save_attachment(case, prepare_upload(IncomingFile("zebulon-injuries.png", png_bytes()), keep_original=True))
    case.deadline_extended_at, case.deadline_extension_reason = utcnow(), f"{WORDS} is abroad until May"
    db.session.add_all([
        InboundSms(message_sid=f"SM{case.id:032d}", phone_hash=phone_hash(phone), body_encrypted=encrypt_text(TEXT_IN),
                   reply_encrypted=encrypt_text("Thank you"), case_id=case.id, event="text"),
        SmsConversation(phone_hash=phone_hash(phone), phone_encrypted=encrypt_text(phone),
                        state=ConversationState.IDLE, case_id=case.id),
        LabelledExample(case_id=case.id, field="theme", label="misconduct", text=case.text),
        Allegation(case_id=case.id, theme_id=case.theme_id, victim=VICTIM, location_text="Wilberforce Street",
                   remedy=f"Apologise to {WORDS}", district_id=case.district_id),
        DisclosureRequest(case_id=case.id, requester_id=staff.investigator.id, scope=DisclosureScope.WITHIN_BODY,
                          reason=REASON),
        DisclosureRequest(case_id=case.id, attachment_id=case.attachments[0].id, requester_id=staff.investigator.id,
                          scope=DisclosureScope.WITHIN_BODY, reason=f"{REASON}, the photo as sent"),
        CaseShare(case_id=case.id, owner_body_id=case.body_id, from_case_id=asking.id, body_id=asking.body_id,
                  requested_by_id=staff.other_investigator.id, status=ShareStatus.REFUSED,
                  decided_by_id=staff.investigator.id, decided_at=utcnow(), reason=f"{WORDS} asked us not to"),
        CaseEvent(case_id=case.id, kind="status_changed", from_status="responded", to_status=status.value,
                  detail={"reason": f"Spoke to {WORDS}", "notified": True}, created_at=utcnow()),
    ])
    db.session.commit()
    return case


def schedule(status: CaseStatus, months: int, body: str | None = None) -> None:
    set_schedule(None, body_by_code(body) if body else None, status, months)
    db.session.commit()


def hold(case: Case, user: User) -> None:
    db.session.add(LegalHold(case_id=case.id, reason="Court order 12/2026", placed_by_id=user.id, created_at=utcnow()))
    db.session.commit()


def run_cli(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["civicwatch", *args])
    db.session.expire_all()
    return result.exit_code, result.output


def days_later(clock, when: dt.datetime) -> None:
    clock.now = when


def due_for_erasure(staff: Staff, clock) -> Case:
    """A closed case with personal content that the retention run erases now (closed cases kept six months)."""
    case = personal_case(staff)
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    return case


def with_receipt_code(case: Case) -> str:
    """Give the case a receipt code the complainant can open its follow-up page with."""
    code = new_receipt_code()
    case.receipt_hash = receipt_hash(code)
    db.session.commit()
    return code


@contextmanager
def erased_meanwhile(app: Flask) -> Iterator[None]:
    """The retention run erases the case in a thread of its own, just before the block's request first writes or
    locks a row (its reads are done by then); fails if it did not run there or erased no case."""
    runs: list[RetentionRun] = []
    with before_the_first_write_of_this_thread(app, lambda: runs.append(apply_retention(None)), db.engine) as started:
        yield
    assert started and [run.erased for run in runs] == [1], "the erasure did not run between the read and the write"
