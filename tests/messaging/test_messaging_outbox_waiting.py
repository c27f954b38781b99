"""The outbox page lists each text still to be sent (masked number, case, age, attempts, next try, last error in
plain words), a page at a time, and a member of staff sees only the texts of the cases they may open. A number is
masked as the identity vault masks it on the case page: the country and the last two digits, never enough to dial."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Recusal
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import queue_sms
from civicwatch.sms.queries import OUTBOX_PAGE_SIZE
from tests.conftest import csrf_token_from
from tests.factories import create_case

BODY_A, BODY_B = "police_oversight", "intelligence_committee"


def _text(phone: str, case_id: int | None = None, status: OutboxStatus = OutboxStatus.PENDING,
          **fields: object) -> OutboundMessage:
    message = queue_sms(phone, "CivicWatch: your case moved.", "status", case_id=case_id)
    message.status = status
    for name, value in fields.items():
        setattr(message, name, value)
    db.session.commit()
    return message


def test_each_waiting_text_is_listed_in_plain_words(app, client, make_user, login_as, clock):
    case = create_case(body=BODY_A)
    _text("+23276124567", case.id)
    clock.advance(hours=3, minutes=5)
    _text("+23277998811", case.id, attempts=2, last_error="Twilio error 30003 (HTTP 400)", last_error_code=30003,
          next_attempt_at=utcnow() + dt.timedelta(minutes=10))
    _text("+23278000123", None, status=OutboxStatus.SENDING, attempts=1,
          last_error="could not reach Twilio (ConnectionError)")
    login_as(make_user(Role.ADMIN))

    html = client.get("/staff/outbox/").get_data(as_text=True)

    rows = re.findall(r'<li class="case-row">(.*?)</li>', html, re.S)
    assert len(rows) == 3
    oldest, retrying, sending = (" ".join(row.split()) for row in rows)
    assert "+232 ••• ••67" in oldest and case.reference in oldest and "3 hours" in oldest
    assert "as soon as the delivery worker runs" in oldest and "<dd>none</dd>" in oldest
    assert "<dt>Attempts</dt><dd>2</dd>" in retrying and "(in 10 minutes)" in retrying
    assert "The phone was switched off or out of reach. (Twilio error 30003)" in retrying
    assert "no case" in sending and "being sent now" in sending
    assert "We could not reach the SMS provider" in sending
    for number in ("4567", "8811", "0123"):
        assert number not in html  # masked: only the last two digits
    assert re.search(r'<span class="stat">3</span>\s*<a [^>]*>waiting to be sent', html)


def test_the_waiting_texts_come_a_page_at_a_time(app, client, make_user, login_as, clock):
    case = create_case(body=BODY_A)
    for number in range(OUTBOX_PAGE_SIZE + 1):
        _text(f"+2327650{number:04d}", case.id)
        clock.advance(minutes=1)
    login_as(make_user(Role.ADMIN))

    first = client.get("/staff/outbox/").get_data(as_text=True)
    second = client.get("/staff/outbox/?page=2").get_data(as_text=True)

    assert first.count('<li class="case-row">') == OUTBOX_PAGE_SIZE and "+232 ••• ••00" in first
    assert 'rel="next" href="/staff/outbox/?page=2"' in first and "Page 1 of 2" in first
    assert second.count('<li class="case-row">') == 1 and f"+232 ••• ••{OUTBOX_PAGE_SIZE % 100:02d}" in second
    for wrong in ("0", "-3", "x", "99999999999999999999999"):
        assert client.get(f"/staff/outbox/?page={wrong}").status_code == 200


def test_the_outbox_shows_no_more_of_a_number_than_the_case_page(app, client, make_user, login_as):
    case = create_case(body=BODY_A, phone="+23276124567")
    _text("+23276124567", case.id)
    login_as(make_user(Role.INVESTIGATOR, body=BODY_A))

    outbox = client.get("/staff/outbox/").get_data(as_text=True)
    case_page = client.get(f"/staff/cases/{case.id}").get_data(as_text=True)

    assert case.identity.phone_masked == "+232 ••• ••67" and case.identity.phone_masked in case_page
    assert case.identity.phone_masked in outbox
    assert "4567" not in outbox and "4567" not in case_page


@pytest.fixture
def two_bodies_texts(app):
    """Texts of a body A case, of a body B case, of a body A case the investigator recused from, and of no case;
    waiting and failed."""
    own = create_case(body=BODY_A)
    other = create_case(body=BODY_B)
    recused = create_case(body=BODY_A)
    texts = {
        "own": _text("+23276110001", own.id),
        "other": _text("+23276229902", other.id, attempts=3, last_error="Twilio error 30005 (HTTP 400)",
                       last_error_code=30005),
        "other_failed": _text("+23276229903", other.id, status=OutboxStatus.FAILED, attempts=1),
        "recused": _text("+23276339904", recused.id),
        "caseless": _text("+23276449905", None),
    }
    return {"own": own, "other": other, "recused": recused}, texts


def test_staff_of_one_body_never_see_another_bodys_texts(app, client, make_user, login_as, two_bodies_texts):
    cases, texts = two_bodies_texts
    investigator = make_user(Role.INVESTIGATOR, body=BODY_A)
    db.session.add(Recusal(case_id=cases["recused"].id, user_id=investigator.id, reason="My cousin."))
    db.session.commit()
    login_as(investigator)
    hidden = [cases["other"].reference, cases["recused"].reference, "••02", "••03", "••04", "••05", "no case"]

    # Every parameter the page reads (page), out of range and malformed, and ones it should ignore.
    for query in ("", "?page=1", "?page=2", "?page=0", "?page=-1", "?page=99999999999999999999", "?page=x",
                  f"?body={BODY_B}", f"?case_id={cases['other'].id}", f"?case={cases['other'].reference}",
                  f"?message_id={texts['other'].id}", "?status=failed&page=1", "?all=1"):
        response = client.get(f"/staff/outbox/{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, query
        for leak in hidden:
            assert leak not in html, (query, leak)
        assert cases["own"].reference in html and "+232 ••• ••01" in html, query
        assert re.search(r'<span class="stat">1</span>\s*<a [^>]*>waiting to be sent', html), query
        assert re.search(r'<span class="stat">0</span>\s*<a [^>]*>failed, listed below', html), query
    assert "Send again" not in html and "Texts received" not in html
    retry = client.post(f"/staff/outbox/{texts['other_failed'].id}/retry", data={"csrf_token": csrf_token_from(html)})
    assert retry.status_code == 403
    assert db.session.get(OutboundMessage, texts["other_failed"].id).status is OutboxStatus.FAILED


def test_an_admin_sees_every_text(app, client, make_user, login_as, two_bodies_texts):
    cases, _ = two_bodies_texts
    login_as(make_user(Role.ADMIN))
    html = client.get("/staff/outbox/").get_data(as_text=True)
    for seen in (cases["own"].reference, cases["other"].reference, cases["recused"].reference, "no case",
                 "The number is unknown or no longer in use. (Twilio error 30005)", "Send again"):
        assert seen in html
    assert re.search(r'<span class="stat">4</span>\s*<a [^>]*>waiting to be sent', html)
