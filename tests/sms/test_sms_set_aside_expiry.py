"""A text set aside after failing MAX_ATTEMPTS times holds a phone number and a complainant's words: it is kept at
most SMS_SET_ASIDE_KEEP_DAYS after it was set aside, then the `deliver` worker erases it, audited by count alone.
The outbox page tells admins how many there are and when the oldest goes, so that they can give them back first; a
text given back starts again, its clock too."""
from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case
from civicwatch.crypto import encrypt_text
from civicwatch.extensions import db
from civicwatch.phones import phone_hash
from civicwatch.sms.models import ConversationState, InboxText, SmsConversation
from civicwatch.sms.set_aside import erase_expired_set_aside_texts_now
from tests.conftest import csrf_token_from, on_postgres
from tests.sms.conftest import PHONE, acknowledged
from tests.sms.test_sms_erasure import close_until_due, erase_due_case
from tests.threads import meeting_at_first, run_together

WORDS = "Soldiers at the Kenema checkpoint beat my brother and took his motorbike."
KEEP = dt.timedelta(days=30)


def set_aside_a_text(send_text, clock) -> None:
    """A text that decrypts but fails at every try (the phone's kept fragment no longer decrypts), answered by the
    worker until it is set aside: the row keeps the number and the words."""
    conversation = db.session.scalar(select(SmsConversation).where(SmsConversation.phone_hash == phone_hash(PHONE)))
    if conversation is None:
        conversation = SmsConversation(phone_hash=phone_hash(PHONE), phone_encrypted=encrypt_text(PHONE))
        db.session.add(conversation)
    conversation.state, conversation.case_id = ConversationState.AWAITING_DETAILS, None
    conversation.pending_encrypted = b"not a fernet token"
    conversation.pending_since = conversation.last_message_at = clock.now
    db.session.commit()
    acknowledged(send_text(WORDS))
    deliver_once_ok()
    assert inbox_attempts() == [3]


def deliver_once_ok() -> str:
    result = current_app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    return result.output


def inbox_attempts() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(InboxText.attempts).order_by(InboxText.id)))


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)))


def test_a_set_aside_text_past_the_limit_is_erased_by_the_worker_and_audited_by_count_alone(
        send_text, clock, twilio_http, caplog):
    set_aside_a_text(send_text, clock)
    caplog.set_level(logging.DEBUG)
    clock.advance(days=30, minutes=-1)
    deliver_once_ok()
    assert inbox_attempts() == [3]  # within its time: still there for an admin to give back

    clock.advance(minutes=2)
    output = deliver_once_ok()

    assert inbox_attempts() == []
    [entry] = audit_entries("sms_inbox.set_aside_erased")
    assert entry.user_id is None and entry.after == {"texts": 1, "keep_days": 30}
    assert "Erased 1 text set aside" in output
    said = output + caplog.text + repr(entry.before) + repr(entry.after)
    assert PHONE.lstrip("+") not in said and "Kenema" not in said


def test_the_erasure_runs_once_however_many_times_the_workers_run_it(send_text, clock, twilio_http):
    set_aside_a_text(send_text, clock)
    clock.advance(days=31)
    deliver_once_ok()
    deliver_once_ok()
    assert inbox_attempts() == [] and len(audit_entries("sms_inbox.set_aside_erased")) == 1


def test_a_text_given_back_starts_again_with_its_clock(send_text, clock, twilio_http, client, login_as, make_user):
    set_aside_a_text(send_text, clock)
    admin = make_user("admin")
    clock.advance(days=20)
    login_as(admin)
    page = client.get("/staff/outbox/").get_data(as_text=True)
    assert client.post("/staff/outbox/texts/retry", data={"csrf_token": csrf_token_from(page)}).status_code == 302
    assert inbox_attempts() == [0]
    deliver_once_ok()  # still failing: set aside again, day 20
    assert inbox_attempts() == [3]

    clock.advance(days=15)  # 35 days after it was first set aside, 15 after the second time
    deliver_once_ok()
    assert inbox_attempts() == [3]
    clock.advance(days=16)
    deliver_once_ok()
    assert inbox_attempts() == []


def test_the_outbox_page_says_how_many_are_set_aside_and_when_the_oldest_goes(
        send_text, clock, twilio_http, client, login_as, make_user):
    set_aside_a_text(send_text, clock)
    login_as(make_user("admin"))
    page = client.get("/staff/outbox/").get_data(as_text=True)
    assert "<strong>1</strong> could not be read" in page
    assert "The oldest is erased on 11 Apr 2026, 09:00 UTC" in page, page[page.find("Texts received"):][:1500]
    assert "30 days after it was set aside" in page
    french = client.get("/staff/outbox/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "30 jours après avoir été mis de côté" in french and "Le plus ancien sera effacé le 11 avr. 2026" in french


def test_erasing_the_number_s_last_case_leaves_its_set_aside_text_to_its_own_time(
        app, text, send_text, clock, twilio_http):
    """A text set aside is not part of any case: it may be a new report from the number whose last case goes, and
    only an admin's retry can still answer it. It keeps its own time (README, "Retention")."""
    text("Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card.")
    (case,) = db.session.scalars(select(Case)).all()
    close_until_due(clock, case)
    set_aside_a_text(send_text, clock)
    erase_due_case(app)
    assert db.session.get(Case, case.id).text == ""
    assert inbox_attempts() == [3]
    clock.advance(days=30, minutes=1)
    deliver_once_ok()
    assert inbox_attempts() == []


@pytest.mark.skipif(on_postgres(), reason="the SQLite database file")
def test_an_erased_set_aside_text_leaves_no_copy_in_the_sqlite_file(send_text, clock, twilio_http):
    """secure_delete zeroes the row in the database file; the write-ahead log, which keeps pages as they were, is
    written back and emptied after an erasure, as the retention run does."""
    set_aside_a_text(send_text, clock)
    stored_payload = db.session.scalar(select(InboxText.payload_encrypted))
    clock.advance(days=31)
    deliver_once_ok()
    db.session.remove()
    path = Path(db.engine.url.database or "")
    stored = b"".join(file.read_bytes() for file in (path, path.with_name(path.name + "-wal")) if file.is_file())
    assert stored_payload[:40] not in stored


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="two transactions at once: PostgreSQL's row locks")
def test_two_workers_erasing_at_once_erase_and_count_each_text_once(app, clock):
    for number in range(3):
        db.session.add(InboxText(message_sid=f"SM{number:032d}", sender_hash=f"sender-{number}",
                                 payload_encrypted=b"encrypted", attempts=3,
                                 set_aside_at=clock.now - KEEP - dt.timedelta(minutes=number)))
    db.session.commit()
    erased: dict[str, int] = {}

    def erase(name: str) -> None:
        threading.current_thread().name = name
        with app.app_context():
            erased[name] = erase_expired_set_aside_texts_now()

    with meeting_at_first("DELETE FROM SMS_INBOX", {"first-worker", "second-worker"}, db.engine):
        run_together(erase, [("first-worker",), ("second-worker",)], timeout=60)
    assert sorted(erased.values()) == [0, 3] and inbox_attempts() == []
    db.session.expire_all()
    assert [entry.after for entry in audit_entries("sms_inbox.set_aside_erased")] == [{"texts": 3, "keep_days": 30}]
