"""A case sent on to another body keeps its allegation's subject from the first body's register (the case page no
longer shows it to the new body). Pattern detection must not count it there either: the first body would be told,
alert after alert, of a case it can no longer open, and the new body raised an alert about a register that is not
its own."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.patterns.models import PatternAlert
from civicwatch.routing.operations import route_case
from civicwatch.taxonomy.models import Body
from tests.patterns.test_pattern_alerts import FORCE, SURGE, allege, detect, make_subject


@pytest.fixture
def app_config(app_config):
    app_config["PATTERN_RULES"] = (FORCE, SURGE)
    return app_config


def send_on(case_id: int, admin) -> None:
    elsewhere = db.session.query(Body).filter_by(code="human_rights_commission").one()
    route_case(db.session.get(Case, case_id), admin, elsewhere, "It concerns rights, not the police.")
    db.session.commit()


def test_a_case_sent_on_does_not_count_for_the_first_body_s_subject(app, clock, make_user, signed_in):
    admin = make_user(Role.ADMIN)
    subject = make_subject(name="Sergeant Kamara")
    allegations = [allege(subject, clock.now, days_ago) for days_ago in (1, 2, 3)]
    send_on(allegations[0].case_id, admin)
    detect(app)
    assert db.session.scalars(select(PatternAlert)).all() == []  # two allegations at the register's body: none

    allege(subject, clock.now, 4)
    detect(app)
    alert = db.session.scalars(select(PatternAlert)).one()
    assert alert.count == 3 and allegations[0].case_id not in {e.case_id for e in alert.evidence}
    assert [b.code for b in alert.bodies] == ["police_oversight"]
    ours = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert "Human Rights Commission" not in ours.get(f"/staff/patterns/alerts/{alert.id}").get_data(as_text=True)
    theirs = signed_in(make_user(Role.INVESTIGATOR, body="human_rights_commission"))
    assert theirs.get(f"/staff/patterns/alerts/{alert.id}").status_code == 404


def test_a_case_sent_on_after_the_alert_is_no_longer_shown_to_the_first_body(app, clock, make_user, signed_in):
    """The alert raised before the case left keeps it as evidence: the first body must not read there that one of
    its subject's cases is now held by another body, nor which."""
    admin = make_user(Role.ADMIN)
    subject = make_subject(name="Sergeant Kamara")
    allegations = [allege(subject, clock.now, days_ago) for days_ago in (1, 2, 3)]
    detect(app)
    alert = db.session.scalars(select(PatternAlert)).one()
    ours = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    before = ours.get(f"/staff/patterns/alerts/{alert.id}").get_data(as_text=True)
    assert all(db.session.get(Case, a.case_id).reference in before for a in allegations)

    send_on(allegations[0].case_id, admin)
    page = ours.get(f"/staff/patterns/alerts/{alert.id}").get_data(as_text=True)
    assert "Human Rights Commission" not in page
    assert "case at" not in page and "cases at" not in page
    assert db.session.get(Case, allegations[1].case_id).reference in page
    theirs = signed_in(make_user(Role.INVESTIGATOR, body="human_rights_commission"))
    assert theirs.get(f"/staff/patterns/alerts/{alert.id}").status_code == 404
