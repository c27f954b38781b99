"""A value a staff form cannot read (a case id that is not a number, a date that does not exist, a count in words,
a choice no longer offered) is answered in the page's language with what to do, by itself: not WTForms' own words
("Invalid choice(s): one or more data inputs could not be coerced.", English on a Krio page and jargon in French)
followed by a second message that contradicts it."""
from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.cases.test_case_statutory_clock import REASON, extend, post_holidays
from tests.cases.test_cases_staff_moves import _move
from tests.cases.test_cases_staff_reactivation import _set_active
from tests.conftest import csrf_token
from tests.factories import create_case, staff_client

ERROR = re.compile(r'<p class="error"[^>]*>(.*?)</p>', re.S)
TAG = re.compile(r"<[^>]+>")
# What each page says, in French, for a value its form cannot read.
CHOOSE_LISTED = "Choisissez parmi les options proposées (si la page est ancienne, rechargez-la d'abord)."
WHOLE_NUMBER = "Écrivez un nombre entier en chiffres, par exemple 12."
DATE = "Écrivez la date sous la forme AAAA-MM-JJ, par exemple 2026-03-12."


def errors(page: str) -> list[str]:
    return [" ".join(html.unescape(TAG.sub("", text)).split()) for text in ERROR.findall(page)]


def in_french(client: FlaskClient) -> FlaskClient:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client


NONE_CHOSEN = "Choisissez au moins un dossier à redonner, ou revenez aux comptes du personnel."


@pytest.mark.parametrize("sent, said", [(["abc"], CHOOSE_LISTED), (["1", "two"], CHOOSE_LISTED),
                                        ([""], NONE_CHOSEN)])
def test_a_case_to_give_back_that_is_not_a_number_is_refused_in_french_with_what_to_do(app, make_user, sent, said):
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    create_case("investigating", body="police_oversight", assigned_to_id=investigator.id)
    admin = in_french(staff_client(app, make_user(Role.ADMIN)))
    _set_active(admin, investigator, False)
    _set_active(admin, investigator, True)
    path = f"/staff/users/{investigator.id}/cases"

    response = admin.post(path, data={"csrf_token": csrf_token(admin, path), "cases": sent})

    assert response.status_code == 400
    assert errors(response.get_data(as_text=True)) == [said]


def test_a_count_in_words_is_refused_in_french(make_case, make_user, signed_in, clock):
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight", created_at=clock.now)
    investigator = in_french(signed_in(make_user(Role.INVESTIGATOR, body="police_oversight")))

    response = extend(investigator, case, days="ten", reason=REASON)

    assert response.status_code == 400
    assert errors(response.get_data(as_text=True)) == [WHOLE_NUMBER]  # not also "must be between 1 and 520"


def test_a_date_that_does_not_exist_is_refused_in_french(make_user, signed_in):
    admin = in_french(signed_in(make_user(Role.ADMIN)))

    response = post_holidays(admin, "/staff/holidays", day="2026-02-30", name="Nope")

    assert response.status_code == 400 and DATE in errors(response.get_data(as_text=True))


def test_a_role_no_longer_offered_is_refused_in_french(app, make_user):
    mover = make_user(Role.INVESTIGATOR, body="police_oversight")
    admin = in_french(staff_client(app, make_user(Role.ADMIN)))

    response = _move(admin, mover, "emperor")

    assert response.status_code == 400 and CHOOSE_LISTED in errors(response.get_data(as_text=True))
