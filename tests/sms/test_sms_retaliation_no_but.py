"""A check-in answered "No, but ..." goes on to tell something: "No, but two men stand outside my house every night"
is no plain NO, even where the cue reader knows none of its words. After closure it opens the linked urgent case,
as an account of that length did before a sentence led by NO was read as a NO; on an open case the words join it
and the question keeps waiting. A plain NO in a sentence ("Non merci, tout va bien") stays a NO."""
from __future__ import annotations

import pytest

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.sms.test_sms_retaliation import case_count, checked_in  # noqa: F401 (a fixture)
from tests.sms.test_sms_retaliation_open import check_in, investigated, messages  # noqa: F401

NO_BUT = [
    "No, but two men in uniform stand outside my house every night since I complained",
    "Non, mais des hommes en uniforme rôdent autour de ma maison chaque nuit depuis ma plainte",
    "Non mais le commandant a dit à mon patron de ne plus me donner de travail",
    "No bot dem polis man dem de stand na mi domot ebri nite",
]


@pytest.mark.parametrize("words", NO_BUT)
def test_no_but_after_closure_opens_the_linked_case(text, checked_in, words):
    text(words)
    assert case_count() == 2 and check_in().retaliation_reported is True


@pytest.mark.parametrize("words", NO_BUT[:2])
def test_no_but_on_an_open_case_is_no_answer(text, investigated, words):
    text(words)
    case = db.session.get(Case, investigated.id, populate_existing=True)
    assert check_in().retaliation_reported is not False
    assert messages(case) == [words]


@pytest.mark.parametrize("words", ["Non merci, tout va bien pour moi maintenant", "No, nobody has bothered me since then"])
def test_a_plain_no_in_a_sentence_stays_a_no(text, checked_in, words):
    text(words)
    assert case_count() == 1 and check_in().retaliation_reported is False
