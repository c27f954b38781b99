"""How the follow-up page reads a check-in's answer: "No" with words that speak of retaliation or threat (English,
French, Krio) is a report, as the same words texted are (a miss is worse than a false flag); "No" with other words
keeps the "no" and adds the words to the case as the complainant's message, instead of dropping them."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case, RetaliationCheckIn
from civicwatch.extensions import db
from tests.intake.conftest import open_case, report_and_read_receipt
from tests.intake.test_intake_retaliation_open import answer, complainant_messages, investigated_and_asked
from tests.intake.test_intake_retaliation_watch import close_and_wait

THREATS = ["An officer warned me to keep quiet about the case", "On m'a menacé devant ma maison",
           "Dem bit mi na di maket"]
UNRELATED = "I have another witness, his name is Musa"


def check_in() -> RetaliationCheckIn:
    return db.session.scalar(select(RetaliationCheckIn))


@pytest.mark.parametrize("words", THREATS)
def test_a_no_with_an_account_of_a_threat_is_a_report(client, app, clock, make_user, words):
    reported = investigated_and_asked(client, clock, make_user)
    response = answer(client, "no", words)
    assert response.status_code == 303
    assert "Your case is now marked urgent" in client.get(response.location).get_data(as_text=True)
    case = db.session.get(Case, reported.case.id, populate_existing=True)
    assert case.urgent is True and complainant_messages(case.id) == [words]
    assert check_in().retaliation_reported is True


def test_a_no_with_other_words_keeps_the_no_and_the_words(client, app, clock, make_user):
    reported = investigated_and_asked(client, clock, make_user)
    response = answer(client, "no", UNRELATED)
    assert response.status_code == 303
    assert "Thank you for your answer." in client.get(response.location).get_data(as_text=True)
    case = db.session.get(Case, reported.case.id, populate_existing=True)
    assert case.urgent is False and complainant_messages(case.id) == [UNRELATED]
    assert check_in().retaliation_reported is False


def test_after_closure_a_no_with_an_account_of_a_threat_opens_the_linked_case(client, app, clock):
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    close_and_wait(reported.case, clock)
    open_case(client, reported.code)
    assert answer(client, "no", THREATS[0]).status_code == 303
    assert check_in().retaliation_reported is True and check_in().reported_case_id is not None
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
