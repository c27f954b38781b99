"""Writing to the outbox, the admin's outbox page, and Twilio's signed delivery callbacks."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Channel
from civicwatch.cases.notifications import notify_complainant
from civicwatch.extensions import db
from civicwatch.intake.operations import Submission, submit_complaint
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import EarlyDeliveryStatus, OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import STOP_CONFIRMATION, queue_sms, record_opt_out
from civicwatch.messaging.senders import TwilioSender, get_sender, set_sender
from civicwatch.phones import phone_hash
from tests.conftest import csrf_token_from
from tests.messaging.conftest import PUBLIC_BASE_URL
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, Fail, RecordingHttpClient

PHONE = "+23276124567"
TEXT = "Officers at the Lunsar junction take 20,000 leones from every okada rider each morning."


def make_case(phone: str | None = PHONE):
    case, _ = submit_complaint(Submission(text=TEXT, channel=Channel.WEB, phone=phone))
    db.session.commit()
    return case


def failed_message(app, twilio_http) -> OutboundMessage:
    case = make_case()
    message = notify_complainant(case, "CivicWatch: your receipt code is 1111 2222 3333 4444.", "acknowledgement")
    db.session.commit()
    twilio_http.script.append(Fail(400, 21211))
    deliver_due_messages(get_sender(app), "worker")
    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED
    return message


def test_notify_complainant_owes_an_sms_only_to_those_who_left_a_phone(app):
    assert notify_complainant(make_case(phone=None), "Hello", "status") is None
    message = notify_complainant(make_case(), "Your case moved.", "status")
    assert message.status is OutboxStatus.PENDING and message.to_hash == phone_hash(PHONE)
    assert PHONE.encode() not in message.to_encrypted


def test_queueing_for_an_opted_out_number_keeps_a_cancelled_row(app):
    record_opt_out(phone_hash(PHONE), "keyword")
    message = queue_sms(PHONE, "Your case moved.", "status")
    assert message.status is OutboxStatus.CANCELLED and "STOP" in message.last_error


def test_a_complainant_who_texted_stop_is_owed_no_sms(app):
    case = make_case()
    record_opt_out(phone_hash(PHONE), "keyword")
    assert notify_complainant(case, "Your case moved.", "status") is None
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 0


# A retry of a message that does not exist: an admin learns so (404), anyone else is refused before the lookup.
@pytest.mark.parametrize("role, retry_status", [(Role.TRIAGE, 403), (Role.INVESTIGATOR, 403), (Role.AUDITOR, 403),
                                                (Role.ADMIN, 404)])
def test_all_staff_see_the_outbox_and_only_admins_send_again(client, make_user, login_as, role, retry_status):
    login_as(make_user(role))
    page = client.get("/staff/outbox/")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post("/staff/outbox/999999/retry", data={"csrf_token": token})
    assert response.status_code == retry_status


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/staff/outbox/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_failed_messages_are_listed_without_numbers_or_text(app, client, make_user, login_as, twilio_http):
    message = failed_message(app, twilio_http)
    login_as(make_user(Role.ADMIN))
    page = client.get("/staff/outbox/").get_data(as_text=True)
    assert f"#{message.id}" in page and message.case.reference in page
    assert "The number is not a valid phone number. (Twilio error 21211)" in page
    assert "4567" not in page and "1111 2222" not in page


def test_an_admin_sends_a_failed_message_again(app, client, make_user, login_as, twilio_http):
    message = failed_message(app, twilio_http)
    admin = make_user(Role.ADMIN)
    login_as(admin)
    token = csrf_token_from(client.get("/staff/outbox/").get_data(as_text=True))
    response = client.post(f"/staff/outbox/{message.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.retry")).one()
    assert entry.user_id == admin.id and entry.case_id == message.case_id
    deliver_due_messages(get_sender(app), "worker")
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT
    assert client.post(f"/staff/outbox/{message.id}/retry", data={"csrf_token": token}).status_code == 409


def test_no_retry_to_a_number_that_texted_stop(app, client, make_user, login_as, twilio_http):
    message = failed_message(app, twilio_http)
    record_opt_out(phone_hash(PHONE), "keyword")
    db.session.commit()
    login_as(make_user(Role.ADMIN))
    token = csrf_token_from(client.get("/staff/outbox/").get_data(as_text=True))
    assert client.post(f"/staff/outbox/{message.id}/retry", data={"csrf_token": token}).status_code == 409
    assert client.post("/staff/outbox/999999/retry", data={"csrf_token": token}).status_code == 404


def test_a_failed_stop_confirmation_is_sent_again_to_the_number_that_texted_stop(app, client, make_user, login_as,
                                                                                   twilio_http):
    # The confirmation is the one text an opted-out number may get, so it is the one an admin may send again.
    other = queue_sms(PHONE, "CivicWatch: your case moved.", "status")
    other.status = OutboxStatus.FAILED  # owed before the STOP, and given up on
    record_opt_out(phone_hash(PHONE), "keyword")
    confirmation = queue_sms(PHONE, "CivicWatch: you will get no more texts from us.", STOP_CONFIRMATION)
    db.session.commit()
    twilio_http.script.append(Fail(400, 21211))
    deliver_due_messages(get_sender(app), "worker")
    db.session.refresh(confirmation)
    assert confirmation.status is OutboxStatus.FAILED
    login_as(make_user(Role.ADMIN))
    token = csrf_token_from(client.get("/staff/outbox/").get_data(as_text=True))
    assert client.post(f"/staff/outbox/{other.id}/retry", data={"csrf_token": token}).status_code == 409
    assert client.post(f"/staff/outbox/{confirmation.id}/retry", data={"csrf_token": token}).status_code == 302
    deliver_due_messages(get_sender(app), "worker")
    db.session.refresh(confirmation)
    db.session.refresh(other)
    assert confirmation.status is OutboxStatus.SENT
    assert other.status is OutboxStatus.FAILED
    assert [request.data["Body"] for request in twilio_http.accepted] == [
        "CivicWatch: you will get no more texts from us."]


def test_retry_needs_the_csrf_token(app, client, make_user, login_as, twilio_http):
    message = failed_message(app, twilio_http)
    login_as(make_user(Role.ADMIN))
    client.post(f"/staff/outbox/{message.id}/retry", data={})
    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED


# ---------------------------------------------------------------- delivery callbacks

def callback(client, sid: str, status: str, error_code: str | None = None, signed: bool = True):
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32}
    if error_code:
        params["ErrorCode"] = error_code
    headers = {}
    if signed:
        headers["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature(
            PUBLIC_BASE_URL + "/sms/status", params)
    return client.post("/sms/status", data=params, headers=headers)


def sent_message(app) -> OutboundMessage:
    message = queue_sms(PHONE, "Your case moved.", "status")
    db.session.commit()
    deliver_due_messages(get_sender(app), "worker")
    db.session.refresh(message)
    return message


def test_delivery_callbacks_are_recorded_and_never_undone(app, client, twilio_http):
    message = sent_message(app)
    assert callback(client, message.provider_sid, "delivered").status_code == 204
    db.session.refresh(message)
    assert message.status is OutboxStatus.DELIVERED and message.delivered_at is not None
    callback(client, message.provider_sid, "sent")  # late, out of order
    callback(client, message.provider_sid, "undelivered", "30003")
    db.session.refresh(message)
    assert message.status is OutboxStatus.DELIVERED


def test_an_undelivered_callback_marks_the_message_failed(app, client, twilio_http):
    message = sent_message(app)
    callback(client, message.provider_sid, "undelivered", "30005")  # number unknown (a phone off: sent again later)
    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED and message.last_error_code == 30005


def test_unsigned_callbacks_are_refused_and_unknown_sids_ignored(app, client, twilio_http):
    message = sent_message(app)
    assert callback(client, message.provider_sid, "failed", signed=False).status_code == 403
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT
    assert callback(client, "SM" + "f" * 32, "delivered").status_code == 204
    assert db.session.scalar(select(func.count()).where(OutboundMessage.status == OutboxStatus.DELIVERED)) == 0


def reloaded(message_id: int) -> OutboundMessage:
    return db.session.get(OutboundMessage, message_id, populate_existing=True)


def test_a_message_the_carrier_gave_up_on_is_sent_again_and_holds_up_nothing(app, client, make_user, login_as,
                                                                            twilio_http, clock):
    first = queue_sms(PHONE, "CivicWatch: your report CW-2026-000001 was received.", "acknowledgement").id
    db.session.commit()
    assert deliver_due_messages(get_sender(app), "worker").sent == 1
    assert callback(client, reloaded(first).provider_sid, "undelivered", "30008").status_code == 204  # no reason
    assert reloaded(first).status is OutboxStatus.FAILED

    login_as(make_user(Role.ADMIN))
    token = csrf_token_from(client.get("/staff/outbox/").get_data(as_text=True))
    assert client.post(f"/staff/outbox/{first}/retry", data={"csrf_token": token}).status_code == 302
    later = queue_sms(PHONE, "CivicWatch: your report CW-2026-000001 was sent to the police council.", "status").id
    db.session.commit()
    clock.advance(minutes=1)
    deliver_due_messages(get_sender(app), "worker")

    bodies = [request.data["Body"] for request in twilio_http.accepted]
    assert bodies.count("CivicWatch: your report CW-2026-000001 was received.") == 2, bodies
    assert reloaded(first).status is OutboxStatus.SENT and reloaded(later).status is OutboxStatus.SENT
    assert reloaded(first).provider_sid not in (None, reloaded(later).provider_sid)


class CallbackDuringSend(RecordingHttpClient):
    """Twilio's servers, reporting the first message's fate while the worker sends the batch's second message,
    before the batch's SIDs are stored."""

    def __init__(self, client, status: str) -> None:
        super().__init__()
        self.client, self.status = client, status
        self.callback_status: int | None = None

    def request(self, method, uri, **kwargs):
        if len(self.requests) == 1 and self.callback_status is None:
            self.callback_status = callback(self.client, self.requests[0].sid, self.status, "30008").status_code
        return super().request(method, uri, **kwargs)


@pytest.mark.parametrize("status, after", [("undelivered", OutboxStatus.FAILED),
                                           ("delivered", OutboxStatus.DELIVERED)])
def test_a_status_reported_before_the_sid_is_stored_is_applied_when_it_is(app, client, status, after):
    app.config["OUTBOX_SEND_CONCURRENCY"] = 1  # the first send ends before the second starts, as the callback needs
    http = CallbackDuringSend(client, status)
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER,
                                 status_callback=PUBLIC_BASE_URL + "/sms/status", http_client=http))
    first = queue_sms(PHONE, "CivicWatch: your report CW-2026-000001 was received.", "acknowledgement").id
    queue_sms("+23277654321", "CivicWatch: your report CW-2026-000002 was received.", "acknowledgement")
    db.session.commit()
    assert deliver_due_messages(get_sender(app), "worker").sent == 2
    assert http.callback_status == 204  # Twilio is told it was taken: it will not say it again
    assert reloaded(first).status is after
    assert db.session.scalar(select(func.count()).select_from(EarlyDeliveryStatus)) == 0


def test_a_status_for_a_sid_no_message_ever_takes_is_forgotten_after_a_day(app, client, twilio_http, clock):
    assert callback(client, "SM" + "f" * 32, "failed", "30008").status_code == 204
    assert db.session.scalar(select(func.count()).select_from(EarlyDeliveryStatus)) == 1
    deliver_due_messages(get_sender(app), "worker")
    assert db.session.scalar(select(func.count()).select_from(EarlyDeliveryStatus)) == 1
    clock.advance(days=1, minutes=1)
    deliver_due_messages(get_sender(app), "worker")
    assert db.session.scalar(select(func.count()).select_from(EarlyDeliveryStatus)) == 0


def test_a_delivery_status_code_in_other_digits_is_ignored_not_a_500(app, client, twilio_http):
    message = sent_message(app)
    response = callback(client, message.provider_sid, "undelivered", "3000\u00b3")
    assert response.status_code == 204
    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED and message.last_error_code is None
