"""An admin's "send again" of a failed text we started, to a phone its owner said is not safe to text, is refused at
once (409, as for a number that texted STOP), instead of being accepted and then cancelled unseen by the worker."""
from __future__ import annotations

from civicwatch.accounts.models import Role
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboxStatus
from civicwatch.messaging.operations import set_safe_to_text
from tests.conftest import csrf_token_from
from tests.messaging.test_messaging_outbox import PHONE, failed_message, make_case


def test_no_retry_of_a_text_we_started_to_a_phone_not_safe_to_text(app, client, make_user, login_as, twilio_http):
    message = failed_message(app, twilio_http)
    set_safe_to_text(PHONE, False, "follow_up", message.case_id)
    db.session.commit()
    login_as(make_user(Role.ADMIN))
    token = csrf_token_from(client.get("/staff/outbox/").get_data(as_text=True))
    response = client.post(f"/staff/outbox/{message.id}/retry", data={"csrf_token": token})
    assert response.status_code == 409 and "not safe to text" in response.get_data(as_text=True)
    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED


def test_a_retry_to_a_phone_safe_to_text_still_goes(app, client, make_user, login_as, twilio_http):
    message = failed_message(app, twilio_http)
    login_as(make_user(Role.ADMIN))
    token = csrf_token_from(client.get("/staff/outbox/").get_data(as_text=True))
    assert client.post(f"/staff/outbox/{message.id}/retry", data={"csrf_token": token}).status_code == 302
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING


def test_a_retry_held_back_by_another_report_s_answer_does_not_say_why(app, client, make_user, login_as, twilio_http):
    message = failed_message(app, twilio_http)
    set_safe_to_text(PHONE, False, "report", make_case().id)  # another report giving the number said no
    db.session.commit()
    login_as(make_user(Role.ADMIN))
    token = csrf_token_from(client.get("/staff/outbox/").get_data(as_text=True))
    response = client.post(f"/staff/outbox/{message.id}/retry", data={"csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "cannot receive the texts we start" in page and "not safe" not in page
    db.session.refresh(message)
    assert message.status is OutboxStatus.FAILED
