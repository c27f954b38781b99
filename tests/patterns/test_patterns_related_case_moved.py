"""Two of one body's cases proposed as related, then one of them sent on to another body: by staff, or by the
complainant's appeal, which is meant to take the case away from the first body. The first body's investigators
read on the other case's page that "a related case exists at <the new body>": that the case left, and where to.
A related case that has moved since the relation was proposed is now only "a related case exists at another
body"; one that was already at the other body when proposed is named by its holder as before."""
from __future__ import annotations

import datetime as dt
from html import unescape

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.feedback import appeal_answer
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns.models import CaseRelation
from civicwatch.patterns.operations import propose_related_cases
from civicwatch.routing.operations import route_case
from civicwatch.taxonomy.models import Body
from tests.patterns.test_related_cases import NEW_TEXT, OLD_TEXT, body_name, district

ELSEWHERE = "human_rights_commission"


def ours(make_case, clock, status: CaseStatus) -> tuple[Case, Case, CaseRelation]:
    """An older case (answered, for an appeal) and a new one, both at the police oversight authority, proposed as
    related two days ago."""
    kenema = district("kenema")
    old = make_case(status, body="police_oversight", text=OLD_TEXT, district=kenema,
                    created_at=clock.now - dt.timedelta(days=3), assigned_to_id=None)
    new = make_case(CaseStatus.RECEIVED, body="police_oversight", text=NEW_TEXT, district=kenema,
                    created_at=clock.now)
    [relation] = propose_related_cases(new)
    db.session.commit()
    clock.advance(days=2)
    return old, new, relation


def _elsewhere() -> Body:
    return db.session.query(Body).filter_by(code=ELSEWHERE).one()


def _appealed(case: Case) -> None:
    appeal_answer(case, "The police oversight authority is too close to the police.", body=_elsewhere())
    db.session.commit()


def _sent_on(admin):
    def send(case: Case) -> None:
        route_case(case, admin, _elsewhere(), "It concerns rights, not the police.")
        db.session.commit()
    return send


@pytest.mark.parametrize("how", ["appeal", "sent on"])
def test_the_first_body_is_not_told_where_its_related_case_went(make_case, clock, make_user, signed_in, how):
    old, new, relation = ours(make_case, clock, CaseStatus.RESPONDED if how == "appeal" else CaseStatus.INVESTIGATING)
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    before = unescape(investigator.get(f"/staff/cases/{new.id}").get_data(as_text=True))
    assert old.reference in before

    (_appealed if how == "appeal" else _sent_on(make_user(Role.ADMIN)))(db.session.get(Case, old.id))
    response = investigator.get(f"/staff/cases/{new.id}")
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert f'id="relation-{relation.id}"' in page
    assert old.reference not in page
    assert f"exists at {body_name(ELSEWHERE)}" not in page
    assert f"at {body_name(ELSEWHERE)})" not in page  # the buttons' names for screen readers
    assert "A related case exists at another body." in page


def test_a_related_case_already_at_another_body_when_proposed_is_still_named_by_its_holder(
        make_case, clock, make_user, signed_in):
    kenema = district("kenema")
    make_case(CaseStatus.INVESTIGATING, body=ELSEWHERE, text=OLD_TEXT, district=kenema,
              created_at=clock.now - dt.timedelta(days=3))
    new = make_case(CaseStatus.RECEIVED, body="police_oversight", text=NEW_TEXT, district=kenema, created_at=clock.now)
    [relation] = propose_related_cases(new)
    db.session.commit()
    clock.advance(days=2)
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    page = unescape(investigator.get(f"/staff/cases/{new.id}").get_data(as_text=True))
    assert f'id="relation-{relation.id}"' in page
    assert f"A related case exists at {body_name(ELSEWHERE)}." in page
