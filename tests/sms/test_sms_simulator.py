"""The SMS simulator: a newcomer plays the citizen's phone. Development and demo only, never production."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from civicwatch import create_app
from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case
from civicwatch.cases.notifications import notify_complainant
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.senders import SimulatorSender, TwilioSender, get_sender, set_sender
from config import DevelopmentConfig, ProductionConfig
from tests.conftest import csrf_token, csrf_token_from
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import PHONE

REPORT = "Officers at the Lunsar junction take 20,000 leones from every okada rider each morning."
PROXIED = {"X-Forwarded-For": "203.0.113.5"}


@pytest.fixture
def app_config(app_config):
    """The simulator exists only without Twilio credentials (the SMS tests' own settings carry a token)."""
    app_config["TWILIO_AUTH_TOKEN"] = None
    return app_config


def choose_phone(client, phone: str = PHONE):
    return client.post("/sms/simulator", data={"csrf_token": csrf_token(client, "/sms/simulator"), "phone": phone})


def send(client, body: str):
    token = csrf_token(client, "/sms/simulator/phone")
    return client.post("/sms/simulator/phone", data={"csrf_token": token, "body": body})


def test_play_a_phone_send_a_report_and_see_the_reply(client):
    response = choose_phone(client, "076 123456")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sms/simulator/phone")
    assert send(client, REPORT).status_code == 302
    page = client.get("/sms/simulator/phone").get_data(as_text=True)
    assert "+23276123456" in page
    assert "Officers at the Lunsar junction" in page
    case = db.session.scalars(select(Case)).one()
    assert f"report {case.reference} received" in page and "receipt code" in page


def test_notifications_to_the_number_are_delivered_to_the_simulator(client, app):
    choose_phone(client)
    send(client, REPORT)
    case = db.session.scalars(select(Case)).one()
    notify_complainant(case, "CivicWatch: your report was accepted by the Police Complaints Board.", "status")
    queue_sms("+23299000111", "For someone else entirely.", "status")
    db.session.commit()
    page = client.get("/sms/simulator/phone").get_data(as_text=True)
    assert "accepted by the Police Complaints Board" in page
    assert "someone else" not in page
    ours, theirs = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "status")
                                      .order_by(OutboundMessage.id)).all()
    assert ours.status is OutboxStatus.SENT and ours.provider_sid.startswith("SMsim") and ours.attempts == 1
    assert theirs.status is OutboxStatus.PENDING  # another phone: not delivered by looking at this one


def test_after_stop_the_phone_sees_the_confirmation_and_no_notifications(client):
    choose_phone(client)
    send(client, REPORT)
    token = csrf_token(client, "/sms/simulator/phone")
    case = db.session.scalars(select(Case)).one()
    notify_complainant(case, "CivicWatch: an investigator has a question for you.", "question")
    db.session.commit()
    # STOP after the message was queued and before the phone page (which delivers) was looked at again.
    client.post("/sms/simulator/phone", data={"csrf_token": token, "body": "STOP"})
    assert notify_complainant(case, "CivicWatch: and another one.", "question") is None
    db.session.commit()
    page = client.get("/sms/simulator/phone").get_data(as_text=True)
    assert "you will get no more texts from us" in page
    assert "investigator has a question" not in page
    assert "not sent because this number texted STOP" in page
    question = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "question")).one()
    assert question.status is OutboxStatus.CANCELLED
    confirmation = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "stop_confirmation"))
    assert confirmation.one().status is OutboxStatus.SENT


def test_the_phone_page_needs_a_chosen_phone(client):
    response = client.get("/sms/simulator/phone")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sms/simulator")


def test_a_wrong_number_is_explained(client):
    response = choose_phone(client, "hello")
    assert response.status_code == 400
    assert "not a phone number" in response.get_data(as_text=True)


def test_the_pages_are_never_cached(client):
    assert client.get("/sms/simulator").headers["Cache-Control"] == "no-store"


def test_the_simulator_never_marks_messages_sent_when_twilio_is_the_sender(client, app):
    http = RecordingHttpClient()
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http))
    choose_phone(client)
    queue_sms(PHONE, "A real text for a real phone.", "status")
    db.session.commit()
    client.get("/sms/simulator/phone")
    assert db.session.scalars(select(OutboundMessage)).one().status is OutboxStatus.PENDING
    assert http.requests == []


class TestSwitchedOff:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["SMS_SIMULATOR"] = False
        return app_config

    @pytest.mark.parametrize("path", ["/sms/simulator", "/sms/simulator/phone"])
    def test_the_pages_do_not_exist(self, client, path):
        assert client.get(path).status_code == 404
        assert client.post(path, data={"phone": PHONE, "body": "HELP"}).status_code in (400, 404)


def test_production_never_has_the_simulator(tmp_path, database_url):
    assert ProductionConfig.SMS_SIMULATOR is False
    assert DevelopmentConfig.SMS_SIMULATOR is True
    url, engine_options = database_url
    settings = type("Production", (ProductionConfig,), {
        "SECRET_KEY": "x" * 40, "CIVICWATCH_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "CIVICWATCH_IDENTITY_KEY": Fernet.generate_key().decode(),
        "CIVICWATCH_EVIDENCE_KEY": Fernet.generate_key().decode(), "CIVICWATCH_AUDIT_KEY": "y" * 40,
        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "UPLOAD_DIR": str(tmp_path / "uploads"), "MODEL_DIR": str(tmp_path / "models"),
        "PUBLIC_BASE_URL": "http://localhost", "RATELIMIT_STORAGE_URI": "redis://localhost:6379/0",
        "SMS_SIMULATOR": True,  # switched on by mistake: production still has none
    })
    production = create_app(settings)
    client = production.test_client()
    assert client.get("/sms/simulator").status_code == 404
    assert client.get("/sms/simulator/phone").status_code == 404
    assert get_sender(production) is None  # no Twilio credentials: nothing is "delivered" anywhere
    with production.app_context():
        db.engine.dispose()


class TestWithTwilioCredentials:
    """Real texts flow: the simulator would show real complainants' numbers and conversations."""

    @pytest.fixture(params=["TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "TWILIO_FROM_NUMBER"])
    def app_config(self, app_config, request):
        app_config[request.param] = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                                     "TWILIO_FROM_NUMBER": FROM_NUMBER}[request.param]
        return app_config

    def test_the_simulator_does_not_exist_even_for_an_admin_at_the_machine(self, client, make_user, login_as):
        assert client.get("/sms/simulator").status_code == 404
        login_as(make_user(Role.ADMIN))
        assert client.get("/sms/simulator").status_code == 404
        assert client.get("/sms/simulator/phone").status_code == 404
        assert not isinstance(get_sender(client.application), SimulatorSender)


def test_csrf_token_is_needed_to_send(client):
    choose_phone(client)
    assert client.post("/sms/simulator/phone", data={"body": "HELP"}).status_code == 400
    token = csrf_token_from(client.get("/sms/simulator/phone").get_data(as_text=True))
    assert client.post("/sms/simulator/phone", data={"csrf_token": token, "body": "HELP"}).status_code == 302


def test_simulator_is_refused_to_other_machines(client):
    assert client.get("/sms/simulator").status_code == 200
    remote = client.get("/sms/simulator", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert remote.status_code == 404


@pytest.mark.parametrize("header, value", [
    ("X-Forwarded-For", "203.0.113.5"), ("X-Real-IP", "203.0.113.5"), ("Forwarded", "for=203.0.113.5"),
    ("X-Forwarded-Host", "civicwatch.example.org"), ("X-Forwarded-Proto", "https"), ("Via", "1.1 proxy"),
])
def test_simulator_is_refused_through_a_proxy_on_the_same_machine(client, header, value):
    """The proxy connects from the loopback address, on behalf of anyone on the network."""
    assert client.get("/sms/simulator", headers={header: value}).status_code == 404
    choose_phone(client)  # chosen at the machine itself; the proxied visitor must not see the phone either
    assert client.get("/sms/simulator/phone", headers={header: value}).status_code == 404


def test_a_signed_in_admin_may_use_the_simulator_from_anywhere(client, make_user, login_as):
    client.environ_base["REMOTE_ADDR"] = "203.0.113.5"  # another machine, the whole visit
    assert client.get("/sms/simulator").status_code == 404
    login_as(make_user(Role.ADMIN))
    assert client.get("/sms/simulator").status_code == 200
    assert client.get("/sms/simulator", headers=PROXIED).status_code == 200


@pytest.mark.parametrize("role", [Role.TRIAGE, Role.INVESTIGATOR, Role.AUDITOR])
def test_other_staff_may_not_use_it_from_another_machine(client, make_user, login_as, role):
    client.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    login_as(make_user(role))
    assert client.get("/sms/simulator").status_code == 404
    assert client.get("/sms/simulator", headers=PROXIED).status_code == 404


def test_whatsapp_mode_shows_the_template_then_the_held_message_after_the_answer(client):
    token = csrf_token(client, "/sms/simulator")
    client.post("/sms/simulator", data={"csrf_token": token, "phone": PHONE, "channel": "whatsapp"})
    send(client, REPORT)
    page = client.get("/sms/simulator/phone").get_data(as_text=True)
    case = db.session.scalars(select(Case)).one()
    assert f"WhatsApp {PHONE}" in page and f"report {case.reference} received" in page
    assert case.channel.value == "whatsapp"

    day = client.post("/sms/simulator/phone/day", data={"csrf_token": csrf_token(client, "/sms/simulator/phone")})
    assert day.status_code == 302
    notify_complainant(case, "CivicWatch: your report was accepted by the Police Complaints Board.", "status")
    db.session.commit()
    page = client.get("/sms/simulator/phone").get_data(as_text=True)
    assert "WhatsApp template" in page and "Send OPEN to read it" in page
    assert "accepted by the Police Complaints Board" not in page
    assert "1 message held until this number writes on WhatsApp" in page

    send(client, "OPEN")
    page = client.get("/sms/simulator/phone").get_data(as_text=True)
    assert "accepted by the Police Complaints Board" in page and "held until" not in page
    assert page.index("Send OPEN to read it") < page.index("accepted by the Police Complaints Board")
