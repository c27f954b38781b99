"""The leak guard finds the complainant's phone number written with letters that read as digits ("O76 555 l23": O
or D for 0, l, I or L for 1, S for 5, B for 8), even when the author unticked every proposal and a reviewer would
approve: readers see the same number. The same for the complainant's email and name written with letters of other scripts
drawn as Latin ones (Cyrillic "а", "е", "о", "р", "с") or in full-width characters. Ordinary words made of those
letters ("Officer SOLO filed 1 report") are not refused, as they are compared with the complainant's own details
only."""
from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus
from tests.publishing.test_publishing_leak_guard_email import submit_with_everything_unticked
from tests.publishing.test_publishing_workflow import review

CONTACT = {"name": "Fatmata Demo-Conteh", "phone": "+23276555123", "email": "fatmata.demo@example.org"}
FINDINGS = "The complainant reported that money was taken at the checkpoint."


def _submitted_then_approved(new_case, make_user, browser_for, client, response_text):
    """Draft, untick everything, submit; if the guard lets it through, a second investigator approves. Returns the
    submission's response and the public page of the case."""
    case = new_case(CaseStatus.RESPONDED, contact=CONTACT, findings=FINDINGS, draft_public_response=response_text)
    author, reviewer = browser_for(make_user(Role.INVESTIGATOR)), browser_for(make_user(Role.INVESTIGATOR))
    url, response = submit_with_everything_unticked(author, case)
    if response.status_code == 302:  # past the guard: the second pair of eyes approves what it reads
        assert review(reviewer, url, confirm="y", approve="Approve and publish").status_code == 302
    return response, unescape(client.get(f"/published/{case.reference}").get_data(as_text=True))


def assert_refused(response, public: str, written: str, kind: str) -> None:
    """The guard refused the submission naming `kind`, nothing went public and the answer stays a draft."""
    assert written not in public
    assert response.status_code == 400
    assert kind in unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(Publication)).status is PublicationStatus.DRAFT


def assert_published(response, public: str, text: str) -> None:
    """The guard let the answer through and it was published as written."""
    assert response.status_code == 302
    assert db.session.scalar(select(Publication)).status is PublicationStatus.PUBLISHED
    assert text in public


@pytest.mark.parametrize("written", [
    "O76 555 l23",
    "o76-SSS-I23",
    "+232 76 5S5 l2E",
    "O7G SS5 1Z3",
    "\u041e76 5\u0405\u0405 123",  # a Cyrillic capital O and two Cyrillic DZE (Ѕ)
    "O7\uff16 555 l23",  # a full-width six
    "D76 555 L23",  # a capital D for 0, a capital L for 1
    "+232 76 555 L2E",
    "O7G-S5S-LZ3",
])
def test_the_complainants_number_written_with_letters_for_digits_does_not_reach_the_public(
        new_case, make_user, browser_for, client, written):
    response, public = _submitted_then_approved(new_case, make_user, browser_for, client,
                                                f"We called the complainant on {written} to apologise.")
    assert_refused(response, public, written, "the complainant's phone number")


@pytest.mark.parametrize(("written", "kind"), [
    ("f\u0430tm\u0430t\u0430.d\u0435m\u043e@\u0435x\u0430mpl\u0435.\u043erg", "the complainant's email address"),
    ("fatmata.dem\u03bf@example.\u03bfrg", "the complainant's email address"),  # Greek small omicron
    ("F\u0410TM\u0410T\u0410.D\u0415M\u041e@\u0415X\u0410MPL\u0415.\u041eRG", "the complainant's email address"),
    ("f\u0430tmata.demo [at] \u0435xample [dot] \u043erg", "the complainant's email address"),
    ("\uff46\uff41\uff54\uff4d\uff41\uff54\uff41.\uff44\uff45\uff4d\uff4f\uff20\uff45\uff58\uff41\uff4d\uff50"
     "\uff4c\uff45.\uff4f\uff52\uff47", "the complainant's email address"),  # full-width
    ("F\u0430tm\u0430t\u0430 D\u0435mo-\u0421onteh", "the complainant's name"),
])
def test_the_complainants_email_or_name_in_look_alike_letters_does_not_reach_the_public(
        new_case, make_user, browser_for, client, written, kind):
    response, public = _submitted_then_approved(new_case, make_user, browser_for, client,
                                                f"The file was sent to {written} last week.")
    assert_refused(response, public, written, kind)


@pytest.mark.parametrize("text", [
    "Officer SOLO filed 1 report.",
    "The form on example.org was read by Officer SOLO; \u0441\u043f\u0430\u0441\u0438\u0431\u043e (thank you).",
    "Officer SOLO filed 1 report; the BIG LOSS was 2 cars, logged as case 76 of 555 in 2026.",
    "Sgt. BOSS IS OLD and was moved to Bo on 12 May; 5 officers, 8 cars, 1 (one) SOS call.",
    "The OLD DOLL SOLD GOLD; LOADS of LEADS, 76 BOLD DEEDS and 555 LIDS in 2026 (ID 123).",
])
def test_ordinary_words_and_numbers_are_not_taken_for_the_complainants_details(
        new_case, make_user, browser_for, client, text):
    response, public = _submitted_then_approved(new_case, make_user, browser_for, client, text)
    assert_published(response, public, text)
