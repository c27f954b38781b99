"""Only the complainant who said their phone is not safe to text can take that back. Anyone can type a number
into the report form: someone who reads the texts on a victim's phone (or wants them read) reports with the
victim's number, or follows their own report, and says "Yes". The victim's case news must still not be texted,
and the follow-up page of the other report must not show whether someone else marked the number (an oracle on
whether that number reported). Through the web pages and the delivery worker, over Twilio's recorded HTTP."""
from __future__ import annotations

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.intake.conftest import case_page_token, open_case
from tests.messaging.test_messaging_safe_to_text import INVESTIGATING, deliver, investigate, report, texted

MARKED = "We do not text you first on the phone you gave."


def test_another_report_saying_yes_for_the_number_does_not_text_the_victim_s_news(
        app, client, make_user, twilio_http):
    victim = report(client, "no")
    report(app.test_client(), "yes")  # someone else, with the victim's number
    investigate(db.session.get(Case, victim.case.id), make_user)
    deliver(app)
    assert not any(INVESTIGATING in body for body in texted(twilio_http))


def test_another_report_s_follow_up_page_cannot_take_the_victim_s_answer_back(app, client, make_user, twilio_http):
    other = app.test_client()
    theirs = report(other, "no")  # they say no first, so that the number's marking is theirs to lift
    victim = report(client, "no")
    open_case(other, theirs.code)
    response = other.post("/track/case/texts", data={"csrf_token": case_page_token(other),
                                                     "case_reference": theirs.reference, "texts_allowed": "yes"})
    assert response.status_code == 303
    investigate(db.session.get(Case, victim.case.id), make_user)
    deliver(app)
    assert not any(INVESTIGATING in body for body in texted(twilio_http))


def test_another_report_s_follow_up_page_does_not_tell_that_the_number_was_marked(app, client):
    other = app.test_client()
    theirs = report(other, "yes")
    report(client, "no")  # the victim, later
    open_case(other, theirs.code)
    page = other.get("/track/case").get_data(as_text=True)
    assert MARKED not in page
    assert "We may send you texts on the phone you gave" in page
