"""Anyone can type someone else's phone number into the web report form: that number's texts must not be shown to
whoever holds that report's receipt code. An officer who knows the number of the person who texted a complaint
about him files a web report with it; its body asks a question, texted to that number; the person's next text
answers "the case that asked" and is filed under the planted report, whose follow-up page the officer opens.
End to end: the signed webhook, the web form, the staff page and the follow-up page, on a real database."""
from __future__ import annotations

import re

from civicwatch.accounts.models import Role
from civicwatch.cases.models import MessageKind
from civicwatch.extensions import db
from tests.cases.conftest import post_case_form
from tests.factories import staff_client
from tests.intake.conftest import open_case, report_and_read_receipt
from tests.sms.conftest import PHONE
from tests.sms.test_sms_answers import open_report

COMPLAINT = "Police at Lunsar junction take money from every okada rider each morning, 5,000 leones each."
PLANTED = "An officer at the Makeni market took my phone and did not give it back. Please call me about it."
QUESTION = "Can you tell us which day this happened?"
WORDS = "Sergeant Koroma came to my house last night and said he knows I am the one who reported him."


def test_texts_from_a_number_typed_into_someone_elses_web_report_are_not_shown_on_its_follow_up_page(
        app, client, text, make_user, clock):
    open_report(text, COMPLAINT)  # the person's own report, texted from their phone
    clock.advance(days=2)
    stranger = app.test_client()
    planted = report_and_read_receipt(stranger, text=PLANTED, contact_choice="contact", phone=PHONE,
                                      texts_allowed="yes")
    case = planted.case
    staff = staff_client(app, make_user(Role.INVESTIGATOR, body=case.body) if case.body else make_user(Role.TRIAGE))
    asked = post_case_form(staff, case.id, "messages", "message", text=QUESTION, wait_for_reply="y")
    assert asked.status_code == 302, asked.get_data(as_text=True)[:1000]
    db.session.expire_all()
    assert db.session.merge(case).waiting_since is not None  # the question is asked; the case waits for it
    clock.advance(hours=3)

    text(WORDS)  # from the person's phone, which never filed the planted report

    db.session.expire_all()
    filed = [m for m in db.session.merge(case).messages if m.kind is MessageKind.FROM_COMPLAINANT]
    assert [m.body for m in filed] == [WORDS]  # the dialogue files it under the case that asked
    assert open_case(stranger, planted.code).status_code == 303
    page = stranger.get("/track/case").get_data(as_text=True)
    assert QUESTION in page  # the body's own question stays on the planted report's page
    assert "Sergeant Koroma" not in page, "the phone's words are shown to whoever typed its number into a web report"
    assert "Its words are not shown here" in page  # the text is there, without its words


def test_a_report_made_by_text_shows_its_texts_on_its_follow_up_page(app, text, clock):
    """Its receipt code went to the phone that texted: whoever holds the code has the phone, and reads its words."""
    reply = text(COMPLAINT)
    code = re.search(r"receipt code is (\d{4} \d{4} \d{4} \d{4})", reply or "").group(1)
    text("NO")  # nobody in danger now
    clock.advance(minutes=2)
    text(WORDS)  # more details, within the report's follow-up window
    browser = app.test_client()
    assert open_case(browser, code).status_code == 303
    page = browser.get("/track/case").get_data(as_text=True)
    assert "Sergeant Koroma" in page and "Its words are not shown here" not in page
