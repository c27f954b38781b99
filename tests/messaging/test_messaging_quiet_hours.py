"""Quiet hours in the outbox: a text CivicWatch starts of its own accord (case news, questions, answers, check-ins,
WhatsApp templates...) that falls due between QUIET_START_HOUR and QUIET_END_HOUR in the deployment's time zone
waits until they end, then goes once, in its number's order, its maximum age not spent by the wait. A reply to a
text the citizen just sent goes at once. With the clock fixture, through the delivery worker, over Twilio's
recorded HTTP."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import STOP_CONFIRMATION, queue_sms
from civicwatch.messaging.senders import TwilioSender, get_sender
from civicwatch.messaging.whatsapp import WHATSAPP_TEMPLATE
from civicwatch.phones import WHATSAPP
from civicwatch.sms.inbox import TEXT_REPLY
from tests.factories import create_case
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, SERVER_ERROR
from tests.messaging.test_messaging_workers import run_workers

LAGOS = ZoneInfo("Africa/Lagos")  # UTC+1 all year: local hours differ from UTC's
PARIS = ZoneInfo("Europe/Paris")
PHONE = "+23276124567"
DAY = dt.date(2026, 3, 12)
NEXT_DAY = DAY + dt.timedelta(days=1)
# Every text the outbox owes of its own accord: case news, a staff message or question, an answer (with its
# rating), a deadline extension, a disclosure notice, a retaliation check-in, a receipt.
STARTED_BY_US = ["status", "reply", "question", "answer", "deadline_extended", "disclosure_notice",
                 "retaliation_check_in", "acknowledgement"]


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(TIMEZONE="Africa/Lagos", QUIET_START_HOUR=21, QUIET_END_HOUR=8)
    return app_config


def at_local(clock, day: dt.date, hour: int, minute: int = 0, second: int = 0, zone: ZoneInfo = LAGOS) -> None:
    clock.now = dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=zone).astimezone(dt.UTC)


def deliver(app, worker: str = "worker-a") -> int:
    return deliver_due_messages(get_sender(app), worker).sent


def sent_bodies(twilio_http) -> list[str]:
    return [request.data["Body"] for request in twilio_http.accepted]


def owe(text: str, purpose: str = "status", phone: str = PHONE) -> int:
    message = queue_sms(phone, text, purpose)
    db.session.commit()
    return message.id


def status_of(message_id: int) -> OutboxStatus:
    db.session.expire_all()
    return db.session.get(OutboundMessage, message_id).status


@pytest.mark.parametrize("purpose", STARTED_BY_US)
def test_a_text_we_start_owed_at_two_in_the_night_waits_until_eight_then_goes_once(app, clock, twilio_http, purpose):
    at_local(clock, NEXT_DAY, 2)
    message_id = owe("CivicWatch: your case moved.", purpose)
    for moment in ((NEXT_DAY, 2, 0), (NEXT_DAY, 5, 30), (NEXT_DAY, 7, 59)):
        at_local(clock, *moment)
        assert deliver(app) == 0 and twilio_http.requests == [], moment
    assert status_of(message_id) is OutboxStatus.PENDING  # never dropped
    at_local(clock, NEXT_DAY, 8)
    assert deliver(app) == 1 and sent_bodies(twilio_http) == ["CivicWatch: your case moved."]
    for minutes in (1, 60, 600):
        clock.advance(minutes=minutes)
        assert deliver(app) == 0 and len(twilio_http.requests) == 1


@pytest.mark.parametrize("purpose", [TEXT_REPLY, STOP_CONFIRMATION])
def test_a_reply_to_the_citizen_s_own_text_at_two_in_the_night_goes_at_once(app, clock, twilio_http, purpose):
    at_local(clock, NEXT_DAY, 2)
    owe("CivicWatch: your report was received.", purpose)
    assert deliver(app) == 1 and sent_bodies(twilio_http) == ["CivicWatch: your report was received."]


def test_a_reply_goes_at_once_past_news_held_for_the_night_which_then_go_in_their_order(app, clock, twilio_http):
    at_local(clock, DAY, 20, 59, 45)
    first = owe("news 1")
    twilio_http.script.append(SERVER_ERROR)  # the first try fails: retried 30 s later, in quiet hours
    assert deliver(app) == 0 and status_of(first) is OutboxStatus.PENDING
    owe("news 2", "question")
    at_local(clock, NEXT_DAY, 2)
    owe("reply to your text", TEXT_REPLY)
    assert deliver(app) == 1 and sent_bodies(twilio_http) == ["reply to your text"]
    at_local(clock, NEXT_DAY, 7, 59)
    assert deliver(app) == 0
    at_local(clock, NEXT_DAY, 8)
    deliver(app)
    clock.advance(minutes=1)
    deliver(app)
    assert sent_bodies(twilio_http) == ["reply to your text", "news 1", "news 2"]


def test_the_minute_before_quiet_hours_is_not_quiet_and_their_first_minute_is(app, clock, twilio_http):
    at_local(clock, DAY, 20, 59)
    owe("before")
    assert deliver(app) == 1
    at_local(clock, DAY, 21)
    owe("during", phone="+23276124568")
    assert deliver(app) == 0 and sent_bodies(twilio_http) == ["before"]


@pytest.mark.parametrize("minute", [(21, 0), (23, 59)])
def test_a_window_across_midnight_holds_the_evening_too(app, clock, twilio_http, minute):
    at_local(clock, DAY, *minute)
    owe("evening news")
    assert deliver(app) == 0
    at_local(clock, NEXT_DAY, 0, 0)
    assert deliver(app) == 0
    at_local(clock, NEXT_DAY, 8)
    assert deliver(app) == 1


def test_a_window_within_one_day(app, clock, twilio_http):
    app.config.update(QUIET_START_HOUR=12, QUIET_END_HOUR=14)
    at_local(clock, DAY, 2)
    owe("night news")
    assert deliver(app) == 1  # not quiet at night here
    at_local(clock, DAY, 12)
    owe("noon news")
    at_local(clock, DAY, 13, 59)
    assert deliver(app) == 0
    at_local(clock, DAY, 14)
    assert deliver(app) == 1 and sent_bodies(twilio_http) == ["night news", "noon news"]


def test_the_same_start_and_end_hour_means_no_quiet_hours(app, clock, twilio_http):
    app.config.update(QUIET_START_HOUR=8, QUIET_END_HOUR=8)
    at_local(clock, NEXT_DAY, 2)
    owe("news")
    assert deliver(app) == 1


@pytest.mark.parametrize(("night", "utc_eight"), [
    # Spring: the clocks go from 02:00 to 03:00 on 29 March; 08:00 that morning is 06:00 UTC.
    (dt.date(2026, 3, 28), dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)),
    # Autumn: back from 03:00 to 02:00 on 25 October; 08:00 that morning is 07:00 UTC.
    (dt.date(2026, 10, 24), dt.datetime(2026, 10, 25, 7, 0, tzinfo=dt.UTC)),
])
def test_quiet_hours_follow_paris_local_time_across_its_daylight_saving_change(app, clock, twilio_http, night,
                                                                                 utc_eight):
    app.config.update(TIMEZONE="Europe/Paris")
    at_local(clock, night, 20, 59, zone=PARIS)
    owe("before")
    assert deliver(app) == 1
    at_local(clock, night, 21, 0, zone=PARIS)
    owe("held")
    for moment in (night + dt.timedelta(days=1),):
        for hour in (1, 2, 3, 4):  # around the change itself
            clock.now = dt.datetime.combine(moment, dt.time(hour, 30), tzinfo=dt.UTC)
            assert deliver(app) == 0, hour
    clock.now = utc_eight - dt.timedelta(minutes=1)
    assert deliver(app) == 0
    clock.now = utc_eight
    assert deliver(app) == 1 and sent_bodies(twilio_http) == ["before", "held"]


def test_a_message_owed_at_20_59_is_not_expired_by_the_night(app, clock, twilio_http):
    app.config.update(OUTBOX_MAX_AGE_HOURS=2)
    at_local(clock, DAY, 20, 59)
    message_id = owe("owed before the night")
    twilio_http.script.extend([SERVER_ERROR, SERVER_ERROR])
    assert deliver(app) == 0  # retried 30 s later, still before 21:00
    clock.advance(seconds=30)
    assert deliver(app) == 0  # retried a minute later: 21:00:30, in quiet hours
    assert status_of(message_id) is OutboxStatus.PENDING
    at_local(clock, NEXT_DAY, 8)  # 11 hours later; it has been owed for a minute of the day
    twilio_http.script.append(SERVER_ERROR)
    assert deliver(app) == 0
    assert status_of(message_id) is OutboxStatus.PENDING  # retried, not given up
    clock.advance(minutes=5)
    assert deliver(app) == 1 and status_of(message_id) is OutboxStatus.SENT


def test_the_night_does_not_count_towards_a_message_s_age_but_the_day_still_does(app, clock, twilio_http):
    app.config.update(OUTBOX_MAX_AGE_HOURS=2, OUTBOX_RETRY_MAX_SECONDS=600)
    at_local(clock, DAY, 20, 0)
    message_id = owe("owed an hour before the night")
    at_local(clock, NEXT_DAY, 8, 59)  # an hour of the day left
    twilio_http.script.append(SERVER_ERROR)
    assert deliver(app) == 0 and status_of(message_id) is OutboxStatus.PENDING
    at_local(clock, NEXT_DAY, 10, 1)  # past its two hours of the day
    twilio_http.script.append(SERVER_ERROR)
    assert deliver(app) == 0 and status_of(message_id) is OutboxStatus.FAILED


def test_a_whatsapp_template_is_not_sent_in_the_night_either(app, clock, twilio_http):
    app.config.update(TWILIO_WHATSAPP_TEMPLATE_SID="HX" + "0" * 32)
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=twilio_http,
                          whatsapp_from="whatsapp:+14155238886")
    at_local(clock, NEXT_DAY, 2)
    queue_sms(PHONE, "CivicWatch: your case moved.", "status", channel=WHATSAPP)  # the window closed long ago
    db.session.commit()
    deliver_due_messages(sender, "worker-a")
    assert twilio_http.requests == []
    assert db.session.scalar(select(OutboundMessage).where(OutboundMessage.purpose == WHATSAPP_TEMPLATE)) is None
    at_local(clock, NEXT_DAY, 8)
    deliver_due_messages(sender, "worker-a")
    assert [request.data["To"] for request in twilio_http.accepted] == ["whatsapp:" + PHONE]
    assert db.session.scalar(select(OutboundMessage.status).where(
        OutboundMessage.purpose == WHATSAPP_TEMPLATE)) is OutboxStatus.SENT


def test_two_workers_at_eight_send_each_held_text_once_in_each_number_s_order(app, clock, twilio_http):
    phones = [f"+2327630{n:04d}" for n in range(12)]
    at_local(clock, NEXT_DAY, 2)
    for step in range(3):
        for phone in phones:
            queue_sms(phone, f"CivicWatch: {phone} news {step}.", "status")
    db.session.commit()
    assert deliver(app) == 0
    at_local(clock, NEXT_DAY, 8)
    twilio_http.latency = 0.002  # the workers overlap
    sent = run_workers(app, ["worker-a", "worker-b"])
    left = deliver(app)
    assert sum(sent.values()) + left == len(phones) * 3
    bodies = sent_bodies(twilio_http)
    assert len(bodies) == len(set(bodies)) == len(phones) * 3
    for phone in phones:
        assert [body for body in bodies if phone in body] == [f"CivicWatch: {phone} news {step}." for step in range(3)]


def _figure(html: str, words: str) -> int:
    match = re.search(rf'<span class="stat">(\d+)</span>\s*{words}', html)
    assert match, words
    return int(match.group(1))


def test_the_outbox_page_shows_what_waits_for_quiet_hours(app, clock, twilio_http, client, make_user, login_as):
    case = create_case()
    at_local(clock, NEXT_DAY, 2)
    queue_sms(PHONE, "CivicWatch: your case moved.", "status", case.id)
    queue_sms("+23276124568", "CivicWatch: asked.", "question", case.id)
    queue_sms("+23276124569", "CivicWatch: received.", TEXT_REPLY, case.id)
    db.session.commit()
    login_as(make_user(Role.ADMIN))
    html = client.get("/staff/outbox/").get_data(as_text=True)
    assert _figure(html, "held until quiet hours end") == 2
    assert html.count("at the end of quiet hours") == 2


def test_at_eight_the_outbox_page_shows_none_held(app, clock, twilio_http, client, make_user, login_as):
    case = create_case()
    at_local(clock, NEXT_DAY, 2)
    queue_sms(PHONE, "CivicWatch: your case moved.", "status", case.id)
    db.session.commit()
    at_local(clock, NEXT_DAY, 8)
    login_as(make_user(Role.ADMIN))
    html = client.get("/staff/outbox/").get_data(as_text=True)
    assert "at the end of quiet hours" not in html
    assert _figure(html, "held until quiet hours end") == 0


def test_the_outbox_page_in_french_says_it_too(app, clock, twilio_http, client, make_user, login_as):
    case = create_case()
    at_local(clock, NEXT_DAY, 2)
    queue_sms(PHONE, "CivicWatch: your case moved.", "status", case.id)
    db.session.commit()
    login_as(make_user(Role.ADMIN))
    client.get("/language/fr")
    html = client.get("/staff/outbox/").get_data(as_text=True)
    assert "à la fin des heures de silence" in html
