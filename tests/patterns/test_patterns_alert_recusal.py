"""A staff member who recused from a case of an alert's evidence, performed as attacks over HTTP: they still read
the alert (the pattern is their body's to know of) but not the case in it, only that one case of it is theirs to
stay away from; and they cannot move the alert (acknowledge, refer, close), which is deciding what becomes of the
pattern their case is part of. Their colleagues still can. Refused like every recusal: 404, as if not there."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseStatus, Recusal
from civicwatch.extensions import db
from civicwatch.patterns.models import AlertEvidence, AlertStatus, PatternAlert
from tests.conftest import body_by_code, csrf_token
from tests.factories import create_case

TARGETS = ("acknowledged", "referred", "closed")
ACTING = (Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR)


def alert_of(cases: list[Case], today: dt.date) -> PatternAlert:
    alert = PatternAlert(rule="place_surge", key=f"district:{cases[0].id}", count=len(cases), baseline=1.0,
                         window_start=today - dt.timedelta(days=30), window_end=today,
                         bodies=[body_by_code("police_oversight")],
                         evidence=[AlertEvidence(case_id=case.id) for case in cases])
    db.session.add(alert)
    db.session.commit()
    return alert


@pytest.fixture
def gathered(app, clock) -> tuple[PatternAlert, list[Case]]:
    cases = [create_case(CaseStatus.INVESTIGATING, "police_oversight") for _ in range(3)]
    return alert_of(cases, clock.now.date()), cases


def recuse(user, case: Case) -> None:
    db.session.add(Recusal(case_id=case.id, user_id=user.id, reason="The officer named is my brother."))
    db.session.commit()


def post(client, alert_id: int, target: str):
    return client.post(f"/staff/patterns/alerts/{alert_id}/{target}",
                       data={"csrf_token": csrf_token(client, "/staff/patterns/alerts")})


def status_of(alert_id: int) -> AlertStatus:
    db.session.expire_all()
    return db.session.get(PatternAlert, alert_id).status


@pytest.mark.parametrize("role", ACTING, ids=lambda role: role.value)
def test_a_recused_member_of_staff_cannot_move_an_alert_gathering_their_case(gathered, make_user, signed_in, role):
    alert, cases = gathered
    alert_id = alert.id
    recused = make_user(role)
    recuse(recused, cases[1])
    client = signed_in(recused)

    for start in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED):
        db.session.get(PatternAlert, alert_id).status = start
        db.session.commit()
        for target in TARGETS:
            if target == start.value:
                continue
            assert post(client, alert_id, target).status_code == 404, (start, target)
            assert status_of(alert_id) is start, (start, target)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.user_id == recused.id, AuditEntry.action.like("pattern_alert.%"))) == 0

    page = client.get(f"/staff/patterns/alerts/{alert_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/staff/patterns/alerts/{alert_id}/" not in html  # no button to move it
    assert cases[1].reference not in html and cases[0].reference in html
    assert "1 case you are recused from" in html


def test_a_colleague_of_the_same_body_still_moves_the_alert(gathered, make_user, signed_in):
    alert, cases = gathered
    alert_id = alert.id
    recuse(make_user(Role.INVESTIGATOR), cases[0])
    colleague = signed_in(make_user(Role.INVESTIGATOR))
    html = colleague.get(f"/staff/patterns/alerts/{alert_id}").get_data(as_text=True)
    assert f"/staff/patterns/alerts/{alert_id}/acknowledged" in html
    assert all(case.reference in html for case in cases) and "recused" not in html
    assert post(colleague, alert_id, "acknowledged").status_code == 302
    assert status_of(alert_id) is AlertStatus.ACKNOWLEDGED


def test_a_recusal_from_a_case_outside_the_alert_does_not_stop_them(app, clock, make_user, signed_in):
    cases = [create_case(CaseStatus.INVESTIGATING, "police_oversight") for _ in range(3)]
    alert_id = alert_of(cases, clock.now.date()).id
    investigator = make_user(Role.INVESTIGATOR)
    recuse(investigator, create_case(CaseStatus.INVESTIGATING, "police_oversight"))
    assert post(signed_in(investigator), alert_id, "closed").status_code == 302
    assert status_of(alert_id) is AlertStatus.CLOSED


def test_the_alert_list_names_no_case_of_the_recused(gathered, make_user, signed_in):
    alert, cases = gathered
    admin = make_user(Role.ADMIN)
    recuse(admin, cases[2])
    html = signed_in(admin).get("/staff/patterns/alerts").get_data(as_text=True)
    assert f"#{alert.id}" in html
    assert not any(case.reference in html for case in cases)
