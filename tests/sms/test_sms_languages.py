"""SMS in the phone's language: LANG FR / LANG KRIO / LANG EN (and LANGUE, LANGWEJ) is remembered per number,
and every reply and case notification after it is written in that language. Through the signed webhook and
the worker, on a real database."""
from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.cases.operations import change_status
from civicwatch.cases.workflow import transition_case
from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, PhoneLanguage
from civicwatch.messaging.segments import sms_length
from civicwatch.messaging.senders import TwilioSender
from civicwatch.phones import phone_hash
from civicwatch.taxonomy.models import Body
from tests.cases.conftest import post_case_form
from tests.factories import staff_client
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import OTHER_PHONE, PHONE, acknowledged, answer_waiting_texts, last_outbox_id, replies_since
from tests.sms.test_sms_conversation import REPORT

# As sent: "ç" is outside GSM-7 and would make the text UCS-2 (two segments), so it is sent as "c".
FRENCH_SET = "CivicWatch : nous vous écrirons en francais. Pour l'anglais envoyez LANG EN, pour le krio LANG KRIO."
KRIO_SET = "CivicWatch: wi go tex yu na Krio. Fo Inglish tex LANG EN, fo Frens LANG FR."
ENGLISH_SET = "CivicWatch: we will text you in English. For French text LANG FR, for Krio LANG KRIO."


def remembered(phone: str = PHONE) -> str | None:
    return db.session.scalar(select(PhoneLanguage.language).where(PhoneLanguage.phone_hash == phone_hash(phone)))


def case_of(reference: str) -> Case:
    return db.session.scalar(select(Case).where(Case.reference == reference))


def reference_in(reply: str) -> str:
    return next(word.rstrip(".,") for word in reply.split() if word.startswith("CW-"))


@pytest.mark.parametrize(("keyword", "reply", "language"), [
    ("LANG FR", FRENCH_SET, "fr"), ("langue français", FRENCH_SET, "fr"), ("Lang French.", FRENCH_SET, "fr"),
    ("Langue française", FRENCH_SET, "fr"),
    ("Lang Frans", FRENCH_SET, "fr"), ("LANG KRIO", KRIO_SET, "kri"), ("langwej krio", KRIO_SET, "kri"),
])
def test_lang_is_answered_in_the_new_language_and_remembered_for_the_number(text, clock, keyword, reply, language):
    assert text(keyword) == reply
    assert remembered() == language
    assert remembered(OTHER_PHONE) is None  # per number: another phone still gets English
    assert text("HELP", phone=OTHER_PHONE).startswith("CivicWatch: to report")


def test_lang_fr_then_a_report_gets_the_receipt_and_danger_question_in_french(text, clock):
    text("LANG FR")
    receipt = text(REPORT)
    assert receipt.startswith("CivicWatch : signalement CW-") and "Code secret : " in receipt
    assert receipt.endswith("Quelqu'un est-il blessé, détenu ou menacé maintenant ? Répondez OUI ou NON.")
    assert sms_length(receipt).gsm7 and sms_length(receipt).segments == 1
    # Transliterated: "reçu" would have sent the whole text as UCS-2, three segments.
    assert "reçu" not in receipt and " recu." in receipt
    reference = reference_in(receipt)
    case_of(reference).urgent = False
    db.session.commit()
    assert text("NON") == ("CivicWatch : merci. Gardez votre code de recu. Pour compléter le signalement "
                           f"{reference}, écrivez encore dans les 10 minutes.")


def test_a_retried_message_sid_is_answered_once_in_the_phones_language(text, send_text, clock):
    text("LANG FR")
    before = last_outbox_id()
    sid = "SM" + "f" * 32
    for _attempt in range(3):  # Twilio retries a webhook it thinks failed
        acknowledged(send_text(REPORT, sid=sid))
        answer_waiting_texts()
    (reply,) = replies_since(before)
    assert reply.text.startswith("CivicWatch : signalement CW-")
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_krio_help_and_status_are_in_krio(text, clock):
    text("LANG KRIO")
    assert text("HELP") == ("CivicWatch: tex wetin apin, usay en wetem. NYUZ: aw e de go. NYU: nyu ripot. FRED: yu "
                            "de fred. KWAYET: wi nor go tex yu fos. TAP: no mo tex. LANG EN, LANG FR.")
    reference = reference_in(text(REPORT))
    assert text("NO").startswith("CivicWatch: tenki. Kip yu risit kod.")
    clock.advance(minutes=30)
    status = text("STATUS")
    assert status.startswith(f"CivicWatch: ripot {reference} don rich wi en i de wet fo dem luk am (apdet ")


def test_lang_en_goes_back_and_an_unknown_language_gets_the_choices_in_the_current_one(text, clock):
    text("LANG KRIO")
    assert text("LANG ES") == "CivicWatch: fo Inglish tex LANG EN, fo Frens (Francais) LANG FR, fo Krio LANG KRIO."
    assert text("LANG") == "CivicWatch: fo Inglish tex LANG EN, fo Frens (Francais) LANG FR, fo Krio LANG KRIO."
    assert remembered() == "kri"
    assert text("LANG EN") == ENGLISH_SET
    assert remembered() == "en"
    assert text("HELP").endswith("LANG FR, LANG KRIO.")


def test_a_language_not_offered_is_not_chosen(app, text, clock):
    app.config["LANGUAGES"] = ["en", "fr"]
    assert text("LANG KRIO") == "CivicWatch: for English text LANG EN, for French (Francais) LANG FR, for Krio LANG KRIO."
    assert remembered() is None


def test_a_report_starting_with_the_word_language_is_a_report(text, clock):
    reply = text("Language was the problem: the police at Lumley junction beat a man who spoke no Krio.")
    assert reply.startswith("CivicWatch: report CW-")
    assert remembered() is None


def test_case_news_reaches_the_complainant_in_the_language_of_their_phone(text, clock, make_user):
    text("LANG KRIO")
    case = case_of(reference_in(text(REPORT)))
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    case.body = db.session.scalar(select(Body).where(Body.code == "police_oversight"))
    before = last_outbox_id()
    transition_case(case, CaseStatus.ACKNOWLEDGED, investigator)
    change_status(case, investigator, CaseStatus.INVESTIGATING)
    db.session.commit()
    news = db.session.scalars(select(OutboundMessage).where(OutboundMessage.id > before,
                                                             OutboundMessage.purpose == "status")).all()
    assert [message.text for message in news] == [
        f"CivicWatch {case.reference}: Indipendent Polis Ovasayt Otoriti de investiget yu kes naw."]


def test_a_case_sent_on_is_texted_with_the_bodys_name_in_the_phones_language(app, text, clock, make_user):
    text("LANG FR")
    case = case_of(reference_in(text(REPORT)))
    commission = db.session.scalar(select(Body).where(Body.code == "human_rights_commission"))
    officer = staff_client(app, make_user(Role.TRIAGE))
    officer.get("/language/kri")  # the officer reads Krio; the complainant's phone chose French
    sent = post_case_form(officer, case.id, "route", "route", body=str(commission.id), reason="Na biznes fo dem.")
    assert "Nashonal Yuman Rayts Komishon" in unescape(officer.get(sent.location).get_data(as_text=True))

    twilio = RecordingHttpClient()
    deliver_due_messages(TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=twilio), "test-worker")
    [news] = [request.data["Body"] for request in twilio.accepted if "Commission" in request.data["Body"]]
    assert news == (f"CivicWatch {case.reference} : votre plainte est maintenant auprès de Commission nationale des "
                    "droits de l'homme. Votre référence reste la meme.")
