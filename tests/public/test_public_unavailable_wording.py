"""What a citizen reads when the service is briefly down (503), in English, French and Krio: plain words that say
what to do (nothing was sent, try again in a few minutes, what you wrote is kept below), not "our database"."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from civicwatch import errors
from tests.conftest import csrf_token
from tests.factories import post_multipart
from tests.intake.conftest import case_page_token, open_case, publish_answer, report_and_read_receipt, valid_report
from tests.intake.test_intake_outages import DeadDatabase
from tests.intake.test_intake_rating_appeal import REASON

JARGON = {"en": "database", "fr": "base de données", "kri": "database"}
FEW_MINUTES = {"en": "in a few minutes", "fr": "dans quelques minutes", "kri": "afta sompin minit"}
NOTHING_SENT = {"en": "Nothing was sent", "fr": "Rien n'a été envoyé", "kri": "Natin nor go"}
KEPT_BELOW = {"en": "What you wrote is kept below", "fr": "Ce que vous avez écrit est gardé ci-dessous",
              "kri": "Wetin yu rayt de dong ya"}
WORDS = "Soldiers at the Bo junction post beat my brother and took his phone."


def choose(client: FlaskClient, language: str) -> None:
    client.get(f"/language/{language}?next=/")


def while_down(app: Flask, send: Callable[[], object]):
    dead = DeadDatabase(app, "refused")
    dead.start()
    try:
        return send()
    finally:
        dead.stop()


def _reading(app, client, make_user):
    return while_down(app, lambda: client.get("/published", headers={"Accept": "text/html"}))


def _receipt_code(app, client, make_user):
    token = csrf_token(client, "/track")
    return while_down(app, lambda: client.post("/track", data={"csrf_token": token, "code": "1111 2222 3333 4444"}))


def _report(app, client, make_user):
    data = {**valid_report(text=WORDS), "csrf_token": csrf_token(client, "/report")}
    return while_down(app, lambda: post_multipart(client, "/report", data))


def _reply(app, client, make_user):
    reported = report_and_read_receipt(client)
    open_case(client, reported.code)
    data = {"csrf_token": case_page_token(client), "text": WORDS}
    return while_down(app, lambda: post_multipart(client, "/track/case/reply", data))


def _appeal(app, client, make_user):
    reported = report_and_read_receipt(client)
    publish_answer(reported.case, make_user)
    open_case(client, reported.code)
    data = {"csrf_token": case_page_token(client), "reason": REASON}
    return while_down(app, lambda: client.post("/track/case/appeal", data=data))


# Each 503 a citizen can meet: (how it is met, whether words were sent, whether they are given back below).
PAGES = {"reading": (_reading, False, False), "receipt-code": (_receipt_code, True, False),
         "report": (_report, True, True), "reply": (_reply, True, True), "appeal": (_appeal, True, True)}


@pytest.mark.parametrize("language", ["en", "fr", "kri"])
@pytest.mark.parametrize("page", PAGES)
def test_the_503_page_says_what_to_do_in_plain_words(app, client, make_user, page, language):
    meet, sent, kept = PAGES[page]
    choose(client, language)
    response = meet(app, client, make_user)
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 503, html[:500]
    assert JARGON[language] not in html.lower()
    assert FEW_MINUTES[language] in html
    if not kept:  # a form given back says in its own words that it was not sent yet
        assert (NOTHING_SENT[language] in html) == sent
    if kept:
        assert KEPT_BELOW[language] in html and (REASON if page == "appeal" else WORDS) in html


@pytest.mark.parametrize("language", ["en", "fr", "kri"])
@pytest.mark.parametrize("message", ["UNAVAILABLE_MESSAGE", "READ_UNAVAILABLE_MESSAGE", "MAYBE_SAVED_MESSAGE"])
def test_every_unavailable_message_is_plain(app, message, language):
    with force_locale(language):
        words = str(getattr(errors, message))
        http_words = str(errors.HTTP_WORDS[503][1])
    for text in (words, http_words):
        assert JARGON[language] not in text.lower() and FEW_MINUTES[language] in text, text
