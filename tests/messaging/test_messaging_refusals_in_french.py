"""The outbox's refusals speak the staff member's chosen language, as the other refusals of staff pages do: a French
admin sending a text again that is not failed, or to a number that texted STOP, is told why in French."""
from __future__ import annotations

from html import unescape

from civicwatch.accounts.models import Role
from civicwatch.extensions import db
from civicwatch.messaging.operations import record_opt_out, set_safe_to_text
from civicwatch.phones import phone_hash
from tests.conftest import csrf_token_from
from tests.factories import staff_client
from tests.messaging.test_messaging_outbox import PHONE, failed_message


def test_a_refused_send_again_is_explained_in_french(app, make_user, twilio_http):
    stopped = failed_message(app, twilio_http)
    unsafe = failed_message(app, twilio_http)
    admin = staff_client(app, make_user(Role.ADMIN))
    admin.get("/language/fr")
    token = csrf_token_from(admin.get("/staff/outbox/").get_data(as_text=True))
    assert admin.post(f"/staff/outbox/{stopped.id}/retry", data={"csrf_token": token}).status_code == 302
    again = unescape(admin.post(f"/staff/outbox/{stopped.id}/retry", data={"csrf_token": token}).get_data(as_text=True))
    assert "Seul un message en échec peut être renvoyé." in again
    set_safe_to_text(PHONE, False, "follow_up", unsafe.case_id)
    record_opt_out(phone_hash(PHONE), "keyword")
    db.session.commit()
    page = unescape(admin.post(f"/staff/outbox/{unsafe.id}/retry", data={"csrf_token": token}).get_data(as_text=True))
    assert "Ce numéro a envoyé STOP" in page and "This number texted STOP" not in page
