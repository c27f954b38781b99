"""How a text is read while a check-in asked of an open case waits for its answer: a YES, or a text that speaks of
retaliation or threat (English, French, Krio as texted, however short), is a report and marks the case urgent; an
unrelated follow-up joins the case as an ordinary message, the case is not flagged, the question keeps waiting and
the reply says to text YES or NO. Through the signed webhook and the worker, on a real database."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case, CaseStatus, Channel
from civicwatch.cases.retaliation import unseen_retaliation_report
from civicwatch.extensions import db
from civicwatch.sms.models import ConversationState
from civicwatch.sms.replies import Reply, render_reply
from tests.factories import create_case
from tests.sms.conftest import PHONE
from tests.sms.test_sms_retaliation import checked_in  # noqa: F401 (a fixture)
from tests.sms.test_sms_retaliation_open import ask, check_in, conversation, messages

UNRELATED = [
    "I have another witness, his name is Musa",
    "Please can you tell me when the hearing will take place",
    "I sent the photos of the receipt to your office yesterday",
    "I followed up with the office last week about my case",
]
UNRELATED_FR = ["J'ai un autre témoin, il s'appelle Musa", "Quand aura lieu l'audience s'il vous plait merci"]
UNRELATED_KRI = ["A get oda witness, im nem na Musa", "Wetin de apin wit mi kes naw, a wan no"]

ACCOUNTS = [
    # English
    "They threatened me at the market",
    "An officer warned me to keep quiet",
    "I was beaten last night",
    "Police visited my house twice",
    "Someone followed me home from work",
    "They arrested my brother yesterday",
    "I lost my job because of the complaint",
    "Two officers came to my house last night and told me to withdraw my complaint.",
    # French as texted, with and without accents
    "On m'a menacé hier soir",
    "ils m ont menace devant ma maison",
    "On m'a frappé",
    "J'ai été arrêté par les policiers du poste",
    "j ai perdu mon travail",
    # Krio as texted
    "dem don threat mi",
    "Dem bit mi na di maket",
    "polis kam na mi os yestade",
    "dem arest mi broda",
    "a don los mi wok",
]


@pytest.fixture
def investigated(app, clock) -> Case:
    case = create_case(CaseStatus.INVESTIGATING, phone=PHONE, channel=Channel.SMS, fears_retaliation=True)
    ask(case, clock)
    return case


def flagged(case: Case) -> bool:
    return db.session.scalar(select(Case.id).where(Case.id == case.id, unseen_retaliation_report())) is not None


def says_yes_or_no(reply: str | None, yes: str, no: str) -> bool:
    return reply is not None and yes in reply and no in reply and "urgent" not in reply


@pytest.mark.parametrize("words", UNRELATED)
def test_an_unrelated_follow_up_joins_the_case_and_the_question_keeps_waiting(text, investigated, words):
    reply = text(words)
    case = db.session.get(Case, investigated.id, populate_existing=True)
    assert case.urgent is False and not flagged(case)
    assert check_in().answered_at is None and check_in().retaliation_reported is None
    assert messages(case) == [words]
    assert says_yes_or_no(reply, "YES", "NO") and case.reference in reply
    assert conversation().state is ConversationState.ASKED_CHECK_IN and conversation().case_id == case.id
    # The question still answers, and the earlier words stay an ordinary message.
    assert text("YES") == render_reply(Reply.RETALIATION_FLAGGED, reference=case.reference)
    case = db.session.get(Case, investigated.id, populate_existing=True)
    assert case.urgent is True and flagged(case) and messages(case) == [words]


@pytest.mark.parametrize(("language", "words", "yes", "no"), [
    *[("FR", words, "OUI", "NON") for words in UNRELATED_FR],
    *[("KRIO", words, "YES", "NO") for words in UNRELATED_KRI],
])
def test_unrelated_follow_ups_in_french_and_krio_are_not_flagged(text, investigated, language, words, yes, no):
    text(f"LANG {language}")
    reply = text(words)
    case = db.session.get(Case, investigated.id, populate_existing=True)
    assert case.urgent is False and not flagged(case) and check_in().answered_at is None
    assert messages(case) == [words]
    assert says_yes_or_no(reply, yes, no)
    assert conversation().state is ConversationState.ASKED_CHECK_IN


def test_a_short_unrelated_text_joins_the_case_too(text, investigated):
    reply = text("ok thanks")
    case = db.session.get(Case, investigated.id, populate_existing=True)
    assert case.urgent is False and check_in().answered_at is None and messages(case) == ["ok thanks"]
    assert says_yes_or_no(reply, "YES", "NO")


@pytest.mark.parametrize("words", ACCOUNTS)
def test_an_account_of_retaliation_in_any_language_is_a_report(text, investigated, words):
    reply = text(words)
    case = db.session.get(Case, investigated.id, populate_existing=True)
    assert reply == render_reply(Reply.RETALIATION_FLAGGED, reference=case.reference)
    assert case.urgent is True and flagged(case)
    assert check_in().retaliation_reported is True and messages(case) == [words]
    assert conversation().state is ConversationState.FOLLOWING_UP


@pytest.mark.parametrize("words", ["Dem bit mi na di maket", "On m'a frappé"])
def test_after_closure_a_short_account_opens_the_linked_case(text, checked_in, words):
    reply = text(words)
    linked = db.session.get(Case, check_in().reported_case_id)
    assert reply == render_reply(Reply.RETALIATION_REPORTED, reference=linked.reference)
    assert linked.urgent is True and words in linked.text
    assert conversation().state is ConversationState.FOLLOWING_UP and conversation().case_id == linked.id
