"""The complainant's name written so that a reader still knows it but the comparison did not: spelled out letter by
letter ("F a t m a t a Conteh", "F.A.T.M.A.T.A. CONTEH", "C-o-n-t-e-h"), misspelt by a letter or by sound
("Fatmatta Conteh", "Fatmata Kontteh", "Fatimata Conteh"), or with an initial between its parts ("Fatmata D.
Conteh"). The leak guard let each through once the author unticked the proposals, and the assistant proposed only
the part written as it is, so that "F a t m a t a [name]" went out even with every proposal ticked. A surname alone,
and other people's names close to one part only, are still not refused."""
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

MISSPELT = [
    "Fatmatta Conteh",
    "Fatmata Kontteh",
    "Fatimata Conteh",
    "fatmata contteh",
    "Fatmata D. Conteh",
]
SPELLED_OUT = [
    "F a t m a t a Conteh",
    "F.A.T.M.A.T.A. CONTEH",
    "Fatmata C-o-n-t-e-h",
]


@pytest.mark.parametrize("written", MISSPELT + SPELLED_OUT)
def test_the_complainants_name_spelt_otherwise_is_refused_with_every_proposal_unticked(
        new_case, make_user, browser_for, client, written):
    response, public = _submitted_then_approved(new_case, make_user, browser_for, client,
                                                f"The commander apologised to {written} in person.")
    assert_refused(response, public, written, "the complainant's name")


@pytest.mark.parametrize("written", SPELLED_OUT)
def test_the_complainants_name_spelled_out_is_hidden_as_proposed(new_case, publish, client, written):
    case = new_case(CaseStatus.RESPONDED, contact=CONTACT, findings=FINDINGS,
                    draft_public_response=f"The commander apologised to {written} in person.")
    publish(case)
    public = unescape(client.get(f"/published/{case.reference}").get_data(as_text=True))
    assert "The commander apologised to [name] in person." in public


@pytest.mark.parametrize("text", [
    "Sergeant Conteh and Officer Kontteh were suspended.",
    "Fatmata Sesay and Mr Contehh both gave evidence; a U N team came.",
])
def test_other_names_close_to_one_part_are_not_taken_for_the_complainants(
        new_case, make_user, browser_for, client, text):
    response, public = _submitted_then_approved(new_case, make_user, browser_for, client, text)
    assert_published(response, public, text)
