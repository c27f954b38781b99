"""A report through an Open311 client (a partner's app) gives the citizen's phone as the web form does, but the
app never asks whether the phone is safe to text. As on the web form, a question not answered counts as no: the
case's news is not texted to that phone. The service definition offers the question as an attribute, and a client
that asks it passes the answer on. Through real HTTP, the delivery worker and Twilio's recorded HTTP."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.interfaces.operations import issue_api_key
from tests.messaging.test_messaging_safe_to_text import INVESTIGATING, deliver, investigate, texted

REPORT = {"service_code": "corruption", "jurisdiction_id": "anything", "phone": "076 123 456",
          "description": "Officers at the Waterloo checkpoint take money from every okada rider."}


@pytest.fixture
def api_key(app) -> str:
    _, secret = issue_api_key("Freetown civic app", None)
    db.session.commit()
    return secret


def open311_report(client, api_key, **fields) -> Case:
    response = client.post("/open311/v2/requests.json", data={"api_key": api_key, **REPORT, **fields})
    assert response.status_code == 200, response.get_data(as_text=True)
    return db.session.scalar(select(Case))


def test_a_phone_given_through_open311_without_the_answer_gets_no_news_by_text(
        app, client, api_key, make_user, twilio_http):
    case = open311_report(client, api_key)
    investigate(case, make_user)
    deliver(app)
    assert not any(INVESTIGATING in body for body in texted(twilio_http))


def test_a_client_that_asks_passes_the_answer_on(app, client, api_key, make_user, twilio_http):
    definition = client.get("/open311/v2/services/corruption.json").get_json()
    [question] = [attribute for attribute in definition["attributes"] if attribute["code"] == "texts_allowed"]
    assert {value["key"] for value in question["values"]} == {"yes", "no"}
    case = open311_report(client, api_key, **{"attribute[texts_allowed]": "yes"})
    investigate(case, make_user)
    deliver(app)
    assert any(INVESTIGATING in body for body in texted(twilio_http))


@pytest.mark.parametrize("value", ["maybe", "YES "])
def test_a_bad_answer_is_a_clear_400(client, api_key, value):
    response = client.post("/open311/v2/requests.json",
                           data={"api_key": api_key, **REPORT, "attribute[texts_allowed]": value})
    assert response.status_code == 400
    assert "attribute[texts_allowed]" in response.get_data(as_text=True)
    assert db.session.scalar(select(Case.id)) is None
