"""Assisted intake: staff enter a complaint for someone met in person or on the phone. Consent and the read-back
are required; the case is routed like any other and shows who entered it; the receipt slip works for the
complainant; a double submit makes one case; the assistant does not see the case afterwards unless their role
lets them; auditors may not assist; every assisted report is audited."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseAssistance, Channel
from civicwatch.extensions import db
from civicwatch.intake.assisted import CONSENT_WORDING
from civicwatch.messaging.queries import phone_language
from civicwatch.phones import WHATSAPP, contact_hash
from tests.conftest import PASSWORD, csrf_token_from
from tests.intake.conftest import RECEIPT_RE, WHAT_HAPPENED

PATH = "/staff/assisted/"
FORM_KEY_RE = re.compile(r'name="form_key"[^>]*value="([^"]+)"')


def assisted_form(client, **changes) -> dict:
    page = client.get(PATH).get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "form_key": FORM_KEY_RE.search(page).group(1),
            "channel": "in_person", "language": "kri", "text": WHAT_HAPPENED, "area": "", "location_text": "",
            "reported_actor": "unknown", "contact_by": "none", "phone": "", "consent": "y", "read_back": "y"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


@pytest.fixture
def investigator(make_user, login_as):
    user = make_user(Role.INVESTIGATOR, "auditor_general")
    login_as(user)
    return user


def test_the_form_shows_the_consent_wording_and_refuses_without_consent(client, investigator):
    page = client.get(PATH).get_data(as_text=True)
    assert CONSENT_WORDING in page
    response = client.post(PATH, data=assisted_form(client, consent=None))
    assert response.status_code == 400
    assert "Without the complainant&#39;s consent" in response.get_data(as_text=True)
    refused = client.post(PATH, data=assisted_form(client, read_back=None))
    assert refused.status_code == 400 and cases() == 0


def test_an_assisted_case_is_routed_shows_who_entered_it_and_the_slip_works_for_the_complainant(
        client, app, investigator, make_user):
    response = client.post(PATH, data=assisted_form(client, channel="phone_call"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/staff/assisted/receipt")
    slip = client.get("/staff/assisted/receipt").get_data(as_text=True)
    code = RECEIPT_RE.search(slip).group(1)
    assert "<script" not in slip.split('class="receipt-slip')[1].split("</section>")[0]
    assert "Risit kod" in slip  # the slip is in the complainant's language (Krio)
    assert client.get("/staff/assisted/receipt").status_code == 410  # shown once
    case = db.session.scalars(select(Case)).one()
    assert case.channel is Channel.PHONE_CALL
    assert case.routing_explanation is not None  # routed like any other report
    assistance = db.session.scalars(select(CaseAssistance)).one()
    assert assistance.assisted_by_id == investigator.id and assistance.consent_wording == CONSENT_WORDING
    assert assistance.language == "kri" and assistance.read_back_confirmed
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.assisted_intake")).one()
    assert audit.user_id == investigator.id and WHAT_HAPPENED[:20] not in str(audit.after)

    # The complainant follows up with the code on the slip.
    citizen = app.test_client()
    page = citizen.get("/track").get_data(as_text=True)
    followed = citizen.post("/track", data={"csrf_token": csrf_token_from(page), "code": code}, follow_redirects=True)
    assert case.reference in followed.get_data(as_text=True)

    # Staff who can open the case see that it was entered on someone's behalf, and by whom.
    staff = app.test_client()
    triage = make_user(Role.TRIAGE)
    token = csrf_token_from(staff.get("/login").get_data(as_text=True))
    staff.post("/login", data={"csrf_token": token, "email": triage.email, "password": PASSWORD})
    detail = staff.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert f"Entered by {investigator.name} on behalf of the complainant" in detail


def test_the_assistant_cannot_see_afterwards_a_case_of_another_body(client, investigator):
    client.post(PATH, data=assisted_form(client))
    case = db.session.scalars(select(Case)).one()
    assert case.body_id != investigator.body_id  # the complaint is about the police, not the auditor general
    assert client.get(f"/staff/cases/{case.id}").status_code == 404
    assert case.reference not in client.get("/staff/cases").get_data(as_text=True)


def test_a_double_submit_makes_one_case_and_shows_the_same_receipt(client, investigator):
    data = assisted_form(client)
    first = client.post(PATH, data=data)
    first_code = RECEIPT_RE.search(client.get("/staff/assisted/receipt").get_data(as_text=True)).group(1)
    again = client.post(PATH, data=data)
    assert first.status_code == again.status_code == 303 and cases() == 1
    assert RECEIPT_RE.search(client.get("/staff/assisted/receipt").get_data(as_text=True)).group(1) == first_code


def test_the_same_form_sent_again_with_an_edited_text_is_a_case_of_its_own(client, investigator):
    """After a lost answer the assistant corrects what was written and sends again: not the first slip while the
    correction goes nowhere, but a case of its own (staff link the two as duplicates)."""
    data = assisted_form(client)
    assert client.post(PATH, data=data).status_code == 303
    first_code = RECEIPT_RE.search(client.get("/staff/assisted/receipt").get_data(as_text=True)).group(1)
    edited = {**data, "text": WHAT_HAPPENED + " It happened twice that week."}
    assert client.post(PATH, data=edited).status_code == 303 and cases() == 2
    second_code = RECEIPT_RE.search(client.get("/staff/assisted/receipt").get_data(as_text=True)).group(1)
    assert second_code != first_code
    assert client.post(PATH, data=edited).status_code == 303 and cases() == 2  # that one, sent again: once
    assert RECEIPT_RE.search(client.get("/staff/assisted/receipt").get_data(as_text=True)).group(1) == second_code


def test_contact_by_whatsapp_keeps_the_number_for_whatsapp_in_the_complainants_language(client, investigator):
    phone = "+23276123456"
    missing = client.post(PATH, data=assisted_form(client, contact_by="whatsapp"))
    assert missing.status_code == 400 and cases() == 0
    assert client.post(PATH, data=assisted_form(client, contact_by="whatsapp", phone=phone)).status_code == 303
    case = db.session.scalars(select(Case)).one()
    assert case.contact_phone_hash == contact_hash(phone, WHATSAPP)
    assert phone_language(case.contact_phone_hash) == "kri"
    assert phone not in client.get("/staff/assisted/").get_data(as_text=True)


def test_auditors_may_not_assist(client, make_user, login_as):
    login_as(make_user(Role.AUDITOR))
    assert client.get(PATH).status_code == 403
    assert client.post(PATH, data={"text": WHAT_HAPPENED, "consent": "y"}).status_code in (400, 403)
    assert cases() == 0


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(PATH).status_code == 302 and cases() == 0


@pytest.mark.parametrize(("answer", "watched"), [("yes", True), ("no", False), (None, False)])
def test_the_complainant_is_asked_whether_they_fear_retaliation(client, investigator, answer, watched):
    """Whoever reports through someone else is often the one most exposed. The web form asks whether they fear
    retaliation (then they are asked, after their case closes, whether anything happened); the assisted form did
    not, so nobody who reported through a paralegal or a committee was ever watched over."""
    assert "Are you afraid something could happen to you because you reported?" in client.get(PATH).get_data(
        as_text=True)
    assert client.post(PATH, data=assisted_form(client, fears_retaliation=answer)).status_code == 303
    assert db.session.scalars(select(Case)).one().fears_retaliation is watched


def test_a_forged_answer_to_the_fear_question_is_refused(client, investigator):
    assert client.post(PATH, data=assisted_form(client, fears_retaliation="maybe")).status_code == 400
    assert cases() == 0


@pytest.mark.parametrize(("answer", "urgent"), [("yes", True), ("not_sure", False), (None, False)])
def test_the_complainant_is_asked_whether_someone_is_in_danger_now(client, investigator, answer, urgent):
    """The web form's "Yes" to "is someone hurt, held or threatened right now?" marks a report urgent; someone who
    told a paralegal that their son is held at the station now could not be marked so (the model alone decided)."""
    assert "Is someone hurt, held or threatened right now?" in client.get(PATH).get_data(as_text=True)
    text = "My brother was taken to the station by two officers last week and we have not seen him since then."
    assert client.post(PATH, data=assisted_form(client, danger_now=answer, text=text)).status_code == 303
    assert db.session.scalars(select(Case)).one().urgent is urgent
    assert client.post(PATH, data=assisted_form(client, danger_now="always")).status_code == 400
