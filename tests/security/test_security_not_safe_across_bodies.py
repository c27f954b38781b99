"""A report's "No, do not text me first" must not reach another body's staff through another report giving the same
number. The attack: an investigator files a report giving a number and answering "yes", routes it to their own body,
and reads what their case page, the texts they send on it and their outbox page say. If any of them said "not safe",
they would learn that the number's owner complained somewhere and said others read their phone, which could be
exactly the person the owner fears. The number is still never texted first (safety before everything); the staff of
the other report see its texts held back exactly as the texts of a number that texted STOP, and the body of the case
that said no still sees why. Two bodies' staff signed in; citizens on the web form and by text; Twilio's servers
recorded at the HTTP boundary."""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from tests.factories import staff_client
from tests.security.conftest import page_token, place_case, send_report
from tests.sms.conftest import (  # noqa: F401 (fixtures)
    answer_waiting_texts,
    app_config,
    deliver,
    send_text,
    text,
    twilio_http,
)
from tests.sms.test_sms_conversation import REPORT

PHONE = "+232 76 123 456"
PHONE_E164 = "+23276123456"
CONTROL_PHONE = "+232 77 654 321"
CONTROL_E164 = "+23277654321"
ATTACKERS, VICTIMS = "police_oversight", "defence_committee"
DO_NOT_TEXT = "Do not text or call this phone"
NOT_SAFE_LINE = "not sent because the citizen said texts to their phone are not safe"
STAT = re.compile(r'<span class="stat">(\d+)</span>')
REACH = re.compile(r"<dt>How to reach them</dt><dd>(.*?)</dd>", re.S)
FLASH = re.compile(r'<p class="flash [^"]*" role="status">(.*?)</p>', re.S)


def reported_with(app, phone: str, answer: str, body: str, marker: str) -> int:
    reported = send_report(app, marker, contact_choice="contact", phone=phone, texts_allowed=answer)
    place_case(reported.case_id, body, CaseStatus.INVESTIGATING)
    return reported.case_id


def message(staff: FlaskClient, case_id: int, text: str) -> str:
    """The staff member sends the complainant a message; the flash they read on the page it leads to."""
    version = str(db.session.get(Case, case_id).version)
    db.session.expire_all()
    response = staff.post(f"/staff/cases/{case_id}/messages", follow_redirects=True, data={
        "message-csrf_token": page_token(staff, f"/staff/cases/{case_id}"), "message-version": version,
        "message-text": text})
    assert response.status_code == 200
    return " ".join(FLASH.findall(response.get_data(as_text=True)))


def reach_line(staff: FlaskClient, case_id: int) -> str:
    page = staff.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    return REACH.search(page).group(1)


def timeline_titles(staff: FlaskClient, case_id: int) -> list[str]:
    page = staff.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    return re.findall(r"<strong>(Message to the complainant[^<]*)</strong>", page)


def outbox(staff: FlaskClient) -> tuple[list[int], str]:
    page = staff.get("/staff/outbox/").get_data(as_text=True)
    return [int(count) for count in STAT.findall(page)], page


@pytest.fixture
def cast(app, make_user):
    victims = staff_client(app, make_user(Role.INVESTIGATOR, body=VICTIMS, name="Victim's investigator"))
    attacker = staff_client(app, make_user(Role.INVESTIGATOR, body=ATTACKERS, name="Attacker"))
    return victims, attacker


def test_another_body_s_report_of_the_number_shows_its_texts_held_back_as_a_stopped_number_s(
        app, cast, send_text, twilio_http):
    victims, attacker = cast
    victim = reported_with(app, PHONE, "no", VICTIMS, "victim")
    probe = reported_with(app, PHONE, "yes", ATTACKERS, "probe")
    control = reported_with(app, CONTROL_PHONE, "yes", ATTACKERS, "control")
    send_text("STOP", CONTROL_E164)  # the control number cannot receive our texts
    answer_waiting_texts()
    db.session.commit()

    # The case page's contact line: the probe's own answer, as on a case whose number texted STOP.
    assert DO_NOT_TEXT not in reach_line(attacker, probe) and "others may read" not in reach_line(attacker, probe)
    assert reach_line(attacker, probe) == reach_line(attacker, control) == "By SMS and the follow-up page"

    # Sending: the same words, the same message list, the same outbox figures as for the stopped number.
    before, _ = outbox(attacker)
    told_probe = message(attacker, probe, "Please come to the office on Monday.")
    after_probe, _ = outbox(attacker)
    told_control = message(attacker, control, "Please come to the office on Tuesday.")
    after_control, page = outbox(attacker)
    assert told_probe == told_control
    assert timeline_titles(attacker, probe) == timeline_titles(attacker, control)
    assert [b - a for a, b in zip(before, after_probe, strict=True)] == \
        [b - a for a, b in zip(after_probe, after_control, strict=True)]
    assert f'<span class="stat">0</span> {NOT_SAFE_LINE}' in page

    # Safety first: nothing we start reaches the phone whose owner said no, and their case's body knows why.
    deliver(app)
    assert not any(request.data["To"] == PHONE_E164 for request in twilio_http.accepted)
    assert DO_NOT_TEXT in reach_line(victims, victim)
    message(victims, victim, "We have opened an investigation.")
    _, victims_page = outbox(victims)
    assert f'<span class="stat">1</span> {NOT_SAFE_LINE}' in victims_page


def test_a_no_given_after_another_body_s_text_was_owed_is_not_shown_to_that_body(app, cast, send_text, twilio_http):
    _, attacker = cast
    probe = reported_with(app, PHONE, "yes", ATTACKERS, "probe")
    control = reported_with(app, CONTROL_PHONE, "yes", ATTACKERS, "control")
    message(attacker, probe, "Please come to the office on Monday.")
    message(attacker, control, "Please come to the office on Tuesday.")
    reported_with(app, PHONE, "no", VICTIMS, "victim")  # the owner's "no" holds back the text already owed
    send_text("STOP", CONTROL_E164)  # and the control number stops texts before its text leaves
    answer_waiting_texts()
    db.session.commit()
    deliver(app)
    assert not any(request.data["To"] in (PHONE_E164, CONTROL_E164) and "office" in request.data["Body"]
                   for request in twilio_http.accepted)
    counts, page = outbox(attacker)
    assert f'<span class="stat">0</span> {NOT_SAFE_LINE}' in page
    assert counts[-2:] == [2, 0]  # both counted with the texts the numbers could not receive
    assert DO_NOT_TEXT not in reach_line(attacker, probe)
    assert reach_line(attacker, probe) == reach_line(attacker, control)


def test_a_phone_that_reported_by_text_and_texted_quiet_is_not_texted_or_called_by_its_case_s_staff_alone(
        app, cast, text, clock, twilio_http):
    victims, attacker = cast
    assert text(REPORT) is not None  # reported from the phone itself: QUIET from it is the complainant's answer
    clock.advance(minutes=30)
    by_text = db.session.scalars(select(Case.id)).one()
    place_case(by_text, VICTIMS, CaseStatus.INVESTIGATING)
    text("QUIET")
    probe = reported_with(app, PHONE, "yes", ATTACKERS, "probe")
    assert DO_NOT_TEXT in reach_line(victims, by_text)
    message(victims, by_text, "We have opened an investigation.")
    assert f'<span class="stat">1</span> {NOT_SAFE_LINE}' in outbox(victims)[1]
    assert reach_line(attacker, probe) == "By SMS and the follow-up page"
    message(attacker, probe, "Please come to the office on Monday.")
    assert f'<span class="stat">0</span> {NOT_SAFE_LINE}' in outbox(attacker)[1]
    deliver(app)
    assert not any("investigation" in body or "office" in body for body in
                   (request.data["Body"] for request in twilio_http.accepted))
