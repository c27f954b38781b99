"""The complainant's phone number written so that the reader still sees it while the assistant and the leak guard
did not:

- cut by the marks people put between groups of digits other than spaces, dots, hyphens and brackets: commas (as
  in a sum), dashes a word processor puts in place of a hyphen, a middle dot or a bullet, an underscore, a pipe;
- written in words, as people write a number out to get past a filter or dictate it: "zero seven six five five
  five one two three", "oh seven six double five five...", "seventy-six", digits and words mixed, in French
  ("zéro sept six...") or in Krio ("ziro sevin siks...").

The assistant proposed nothing and the leak guard let it through, so an answer went out with the number once its
author unticked what little was proposed, or at once when nothing was (its feeds, open data and Open311 too). The
assistant now proposes the complainant's own number however it is written, and the leak guard refuses it, unticked
or not; numbers that are not the complainant's are left alone."""
from __future__ import annotations

from html import unescape

import pytest

from civicwatch.cases.models import CaseStatus
from tests.publishing.test_publishing_leak_guard_lookalikes import (
    CONTACT,
    FINDINGS,
    _submitted_then_approved,
    assert_published,
    assert_refused,
)

CUT_BY_MARKS = [
    "076,555,123",
    "+232,76,555,123",
    "076\u2013555\u2013123",  # en dash
    "076 \u2014 555 \u2014 123",  # em dash with spaces
    "076\u00b7555\u00b7123",  # middle dot
    "076 \u2022 555 \u2022 123",  # bullet
    "076_555_123",
    "076|555|123",
    "076 / 555 - 123",
]

IN_WORDS = [
    "zero seven six five five five one two three",
    "Zero Seven Six, Five Five Five, One Two Three",
    "oh seven six double five five one two three",
    "0 7 6 five five five 1 2 3",
    "zero-seven-six / five-five-five / one-two-three",
    "two three two, seven six, triple five, one two three",
    "zero seventy-six five fifty-five one twenty-three",
    "z\u00e9ro sept six cinq cinq cinq un deux trois",
    "ziro sevin siks fayv fayv fayv wan tu tri",
]

WRITTEN = CUT_BY_MARKS + IN_WORDS


@pytest.mark.parametrize("written", WRITTEN)
def test_the_complainants_number_is_refused_with_every_proposal_unticked(
        new_case, make_user, browser_for, client, written):
    response, public = _submitted_then_approved(new_case, make_user, browser_for, client,
                                                f"We called the complainant on {written} to apologise.")
    assert_refused(response, public, written, "the complainant's phone number")


@pytest.mark.parametrize("written", WRITTEN)
def test_the_complainants_number_is_hidden_as_proposed(new_case, publish, client, written):
    case = new_case(CaseStatus.RESPONDED, contact=CONTACT, findings=FINDINGS,
                    draft_public_response=f"We called the complainant on {written} to apologise.")
    publish(case)
    public = unescape(client.get(f"/published/{case.reference}").get_data(as_text=True))
    assert "We called the complainant on [phone number] to apologise." in public
    assert "555" not in public


@pytest.mark.parametrize("text", [
    "They demanded Le 1,000,000 and took 76,555 from the shop; 123 people saw it.",
    "Cases 76|555 and 12_3 were closed \u2013 2026 \u00b7 page 7.",
    "Two officers took one phone and five five five leones; seven six people saw it at one.",
    "Un agent a pris deux t\u00e9l\u00e9phones et cinq sacs; sept six personnes l'ont vu.",
])
def test_other_numbers_are_not_taken_for_the_complainants(new_case, make_user, browser_for, client, text):
    response, public = _submitted_then_approved(new_case, make_user, browser_for, client, text)
    assert_published(response, public, text)
