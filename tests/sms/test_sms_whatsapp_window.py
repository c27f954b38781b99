"""WhatsApp's 24-hour session window, through the signed webhook and the delivery worker, with Twilio mocked only
at its HTTP boundary. Inside the window the text goes as written; outside it, one approved template (Content
SID) goes instead and the text waits until the citizen writes again; a retried webhook, STOP and a worker that
dies in between change none of that."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from civicwatch.cases.models import Case, CaseStatus, Channel, RetaliationCheckIn
from civicwatch.cases.notifications import notify_complainant
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.delivery import (
    DeliveryReport,
    claim_next_message,
    deliver_due_messages,
    deliver_message,
)
from civicwatch.messaging.models import OutboundMessage, OutboxStatus, WhatsAppSession
from civicwatch.messaging.senders import TwilioSender
from civicwatch.messaging.whatsapp import WHATSAPP_TEMPLATE
from civicwatch.phones import WHATSAPP
from civicwatch.sms.operations import ask_due_check_ins
from civicwatch.sms.replies import Reply, render_reply
from tests.factories import create_case
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import PHONE, WHATSAPP_FROM, WHATSAPP_PHONE, new_sid

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
TEMPLATE_EN = "HX" + "e" * 32
TEMPLATE_FR = "HX" + "f" * 32
TEMPLATE_KRI = "HX" + "k" * 32
NEWS = "CivicWatch: your report is with the police oversight office."
MORE_NEWS = "CivicWatch: the office has asked the station commander for the duty roster."
QUESTION = "Has anything happened to you because you reported?"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(TWILIO_WHATSAPP_TEMPLATE_SID=TEMPLATE_EN,
                      TWILIO_WHATSAPP_TEMPLATE_SIDS={"fr": TEMPLATE_FR, "kri": TEMPLATE_KRI})
    return app_config


@pytest.fixture
def twilio_http(app) -> RecordingHttpClient:
    return RecordingHttpClient()


@pytest.fixture
def deliver(twilio_http: RecordingHttpClient):
    """Run the delivery worker once over Twilio; returns its report."""
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=twilio_http, whatsapp_from=WHATSAPP_FROM)

    def run(worker: str = "worker-1") -> DeliveryReport:
        return deliver_due_messages(sender, worker)

    return run


@pytest.fixture
def reported(whatsapp, deliver, twilio_http, clock) -> Case:
    """A case reported on WhatsApp, its receipt delivered, and 25 hours gone by: the window is closed."""
    whatsapp(REPORT)
    deliver()
    twilio_http.requests.clear()
    clock.advance(hours=25)
    return db.session.scalars(select(Case)).one()


def news(case: Case, text: str = NEWS) -> OutboundMessage:
    message = notify_complainant(case, text, "status")
    assert message is not None
    db.session.commit()
    return message


def sent(twilio_http: RecordingHttpClient) -> list[tuple[str | None, str | None]]:
    """(Body, ContentSid) of each message Twilio accepted, all to the citizen's WhatsApp."""
    assert {request.data["To"] for request in twilio_http.accepted} <= {WHATSAPP_PHONE}
    assert {request.data["From"] for request in twilio_http.accepted} <= {WHATSAPP_FROM}
    return [(request.data.get("Body"), request.data.get("ContentSid")) for request in twilio_http.accepted]


def test_inside_the_window_the_text_is_sent_as_written(whatsapp, deliver, twilio_http, clock):
    whatsapp(REPORT)
    deliver()
    clock.advance(hours=23)
    news(db.session.scalars(select(Case)).one())
    deliver()
    assert sent(twilio_http)[-1] == (NEWS, None)


def test_outside_the_window_one_template_goes_and_the_texts_wait_for_the_answer(reported, whatsapp, deliver,
                                                                                twilio_http, clock):
    first = news(reported)
    assert deliver().held == 1
    assert sent(twilio_http) == [(None, TEMPLATE_EN)]  # the template alone: no free text outside the window
    db.session.refresh(first)
    assert first.status is OutboxStatus.PENDING and first.held_since == clock.now and first.provider_sid is None
    clock.advance(hours=30)  # more news while the template waits unanswered: held too, and no second template
    news(reported, MORE_NEWS)
    assert deliver().held == 1
    assert deliver().handled == 0
    assert sent(twilio_http) == [(None, TEMPLATE_EN)]

    assert whatsapp("open") == []  # OPEN: the held texts are the answer, nothing else is owed
    deliver()
    assert sent(twilio_http) == [(None, TEMPLATE_EN), (NEWS, None), (MORE_NEWS, None)]
    assert db.session.scalar(select(WhatsAppSession.template_message_id)) is None
    assert len(db.session.scalars(select(Case)).all()) == 1  # OPEN opened no report


def test_any_answer_reopens_the_window_and_goes_through_the_dialogue(reported, whatsapp, deliver, twilio_http):
    news(reported)
    deliver()
    [reply] = whatsapp("HELP")
    deliver()
    assert [body for body, _sid in sent(twilio_http)] == [None, NEWS, reply.text]


def test_a_retried_answer_webhook_releases_the_texts_once(reported, whatsapp, deliver, twilio_http):
    news(reported)
    deliver()
    sid = new_sid()
    whatsapp("OPEN", sid=sid)
    deliver()
    assert whatsapp("OPEN", sid=sid) == []  # Twilio's retry of the same MessageSid
    deliver()
    assert sent(twilio_http) == [(None, TEMPLATE_EN), (NEWS, None)]


def test_stop_while_texts_are_held_means_they_are_never_sent(reported, whatsapp, deliver, twilio_http):
    held = news(reported)
    deliver()
    [confirmation] = whatsapp("STOP")
    deliver()
    [confirmation] = whatsapp("START")
    deliver()
    bodies = [body for body, _sid in sent(twilio_http)]
    assert bodies[0] is None and NEWS not in bodies and len(bodies) == 3  # template, STOP's and START's replies
    db.session.refresh(held)
    assert held.status is OutboxStatus.CANCELLED and held.provider_sid is None


def test_a_worker_that_dies_after_its_claim_leaves_one_template_to_the_next(reported, deliver, twilio_http, clock,
                                                                         app):
    message = news(reported)
    assert claim_next_message("dying-worker").id == message.id
    db.session.commit()  # the claim is committed, then the worker dies before it decides anything
    clock.advance(seconds=app.config.get("OUTBOX_CLAIM_TIMEOUT_SECONDS", 300) + 1)
    assert deliver("worker-2").held == 1
    assert deliver("worker-3").handled == 0
    assert sent(twilio_http) == [(None, TEMPLATE_EN)]


def test_a_worker_that_dies_after_holding_leaves_the_template_owed(reported, deliver, twilio_http, whatsapp):
    message = news(reported)
    claimed = claim_next_message("dying-worker")
    db.session.commit()
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=twilio_http, whatsapp_from=WHATSAPP_FROM)
    assert deliver_message(claimed, sender, "dying-worker", DeliveryReport()) is None
    db.session.commit()  # held and the template owed, together; then the worker dies
    template = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == WHATSAPP_TEMPLATE)).one()
    assert template.content_sid == TEMPLATE_EN and template.status is OutboxStatus.PENDING
    assert twilio_http.requests == [] and db.session.get(OutboundMessage, message.id).held_since is not None
    deliver("worker-after-a-restart")
    deliver("worker-after-a-restart")
    whatsapp("OPEN")
    deliver("worker-after-a-restart")
    assert sent(twilio_http) == [(None, TEMPLATE_EN), (NEWS, None)]


@pytest.mark.parametrize(("command", "sids", "expected_sid", "expected_text"), [
    (None, {"fr": TEMPLATE_FR, "kri": TEMPLATE_KRI}, TEMPLATE_EN,
     "CivicWatch: a reply to your report is waiting for you. Send OPEN to read it."),
    ("LANG FR", {"fr": TEMPLATE_FR, "kri": TEMPLATE_KRI}, TEMPLATE_FR, "CivicWatch : une réponse"),
    ("LANG KRIO", {"fr": TEMPLATE_FR, "kri": TEMPLATE_KRI}, TEMPLATE_KRI, "CivicWatch: ansa"),
    ("LANG KRIO", {"fr": TEMPLATE_FR}, TEMPLATE_EN, "CivicWatch: a reply to your report"),  # no Krio template
])
def test_the_template_is_the_one_approved_in_the_citizens_language(app, whatsapp, deliver, twilio_http, clock,
                                                                  command, sids, expected_sid, expected_text):
    app.config["TWILIO_WHATSAPP_TEMPLATE_SIDS"] = sids
    if command:
        whatsapp(command)
    whatsapp(REPORT)
    deliver()
    twilio_http.requests.clear()
    clock.advance(hours=24)
    news(db.session.scalars(select(Case)).one())
    deliver()
    assert sent(twilio_http) == [(None, expected_sid)]
    template = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == WHATSAPP_TEMPLATE)).one()
    assert template.text.startswith(expected_text)


def test_erasing_a_cases_texts_takes_the_template_off_the_session(reported, deliver):
    news(reported)
    deliver()
    assert db.session.scalar(select(WhatsAppSession.template_message_id)) is not None
    # What retention's erasure does with a case's outbox rows, the template among them.
    db.session.execute(delete(OutboundMessage).where(OutboundMessage.case_id == reported.id))
    db.session.commit()
    assert db.session.scalar(select(WhatsAppSession.template_message_id)) is None


def test_whatsapp_open_with_a_full_stop_is_open_not_a_report(reported, whatsapp, deliver, twilio_http):
    news(reported)
    deliver()
    assert sent(twilio_http) == [(None, TEMPLATE_EN)]
    # The citizen answers the template "Send OPEN to read it." with "Open." (as phones capitalise and punctuate).
    owed = whatsapp("Open.")
    assert [message.text for message in owed] == []  # OPEN gets no other answer
    deliver()
    assert sent(twilio_http) == [(None, TEMPLATE_EN), (NEWS, None)]



def check_in_asked_by_whatsapp(clock, deliver) -> None:
    """A closed case of a complainant who feared retaliation, 30 days on: its check-in is asked and the worker
    has run once (outside the window, so the template went out and the question waits)."""
    case = create_case(CaseStatus.CLOSED, contact={"phone": PHONE, "texts_by": WHATSAPP}, channel=Channel.WHATSAPP,
                       fears_retaliation=True)
    clock.now = case.closed_at + dt.timedelta(days=30)
    assert ask_due_check_ins(utcnow()) == 1
    db.session.commit()
    deliver()


@pytest.mark.parametrize("answer", ["Yes", "No", "ok"])
def test_a_reply_to_the_template_is_not_the_answer_to_the_check_in_it_holds_back(app, whatsapp, deliver, twilio_http,
                                                                                  clock, answer):
    """A retaliation check-in comes 30 days after the case closed: always outside the window, so the citizen first
    gets the template, "a reply to your report is waiting for you. Send OPEN to read it.", and not the question.
    Their "Yes" (show me) was taken as "yes, something happened to me because I reported", and opened an urgent
    case against them having said so; a "No" answered a question they never saw. Until the question has gone
    out, its answers are not taken: the question goes out, once, and is answered as asked."""
    check_in_asked_by_whatsapp(clock, deliver)
    assert sent(twilio_http) == [(None, TEMPLATE_EN)]
    assert whatsapp(answer) == []  # the question it asked to open is the answer owed
    check_in = db.session.scalars(select(RetaliationCheckIn)).one()
    assert check_in.answered_at is None and db.session.scalar(select(func.count()).select_from(Case)) == 1
    deliver()
    deliver()
    [(_template, template_sid), (question, question_sid)] = sent(twilio_http)
    assert template_sid == TEMPLATE_EN and question_sid is None and QUESTION in question
    [reply] = whatsapp("No")
    db.session.refresh(check_in)
    assert check_in.answered_at is not None and check_in.retaliation_reported is False
    assert reply.text == render_reply(Reply.NO_RETALIATION)


def test_a_check_in_opened_weeks_after_its_template_is_still_answered_by_whatsapp(app, whatsapp, deliver,
                                                                                 twilio_http, clock):
    """A texted check-in waits two weeks for its answer. On WhatsApp its question reaches the citizen only when
    they answer the template, which may be later than that: their NO to the question they had just read was
    taken for a word of a new report. The two weeks run from when the question went out to them."""
    check_in_asked_by_whatsapp(clock, deliver)
    clock.advance(days=16)  # the phone was lost, or the citizen away
    assert whatsapp("OPEN") == []
    deliver()
    assert QUESTION in sent(twilio_http)[-1][0]
    clock.advance(hours=2)
    [reply] = whatsapp("No")
    check_in = db.session.scalars(select(RetaliationCheckIn)).one()
    assert reply.text == render_reply(Reply.NO_RETALIATION)
    assert check_in.answered_at is not None and check_in.retaliation_reported is False
