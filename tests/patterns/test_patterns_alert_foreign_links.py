"""A case proposed, while in triage, a subject of another body's register keeps that proposed link after it is
routed. Its own body's investigators cannot see or reject the link (it is of a register they do not read), so
detection must not count it: the other body's investigators would get an alert about the subject they keep,
listing cases of a body they cannot open ("3 cases at <body>")."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation, PatternAlert, Subject, SubjectAlias, SubjectKind
from civicwatch.patterns.operations import propose_subject_links
from civicwatch.routing.operations import route_case
from civicwatch.taxonomy.models import Body, Theme
from tests.factories import create_case

FORCE = {"code": "force_by_subject", "kind": "subject", "theme": "abuse_of_force", "min_count": 3, "window_days": 90}


@pytest.fixture
def app_config(app_config):
    app_config["PATTERN_RULES"] = (FORCE,)
    return app_config


def body(code: str) -> Body:
    return db.session.query(Body).filter_by(code=code).one()


def test_a_foreign_proposed_link_left_from_triage_does_not_alert_the_register_s_body(app, clock, make_user, signed_in):
    theirs = Subject(body=body("human_rights_commission"), kind=SubjectKind.OFFICER, name="Sergeant Kamara")
    theirs.aliases.append(SubjectAlias(alias="Sgt Kamara", words="sgt kamara"))
    db.session.add(theirs)
    db.session.commit()
    admin = make_user(Role.ADMIN)
    force = db.session.query(Theme).filter_by(code="abuse_of_force").one()
    references = []
    for days_ago in (1, 2, 3):
        when = clock.now - dt.timedelta(days=days_ago)
        case = create_case(CaseStatus.RECEIVED, body=None, theme="abuse_of_force", created_at=when,
                           text=f"Sgt Kamara beat me at the market, {days_ago} days ago.")
        db.session.add(Allegation(case=case, theme=force, incident_date=when.date()))
        propose_subject_links(case)  # in triage: every register is read
        db.session.commit()
        route_case(case, admin, body("police_oversight"), "Police conduct: for the police oversight authority.")
        db.session.commit()
        references.append(case.reference)
    result = app.test_cli_runner().invoke(args=["civicwatch", "patterns", "detect"])
    assert result.exit_code == 0, result.output

    police = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    # The police oversight authority's staff cannot see, and so cannot reject, the other register's link.
    assert "Sergeant Kamara" not in police.get(f"/staff/cases/{db.session.scalar(select(Allegation.case_id))}").get_data(as_text=True)

    rights = signed_in(make_user(Role.INVESTIGATOR, body="human_rights_commission"))
    leaks = []
    for alert in db.session.scalars(select(PatternAlert)):
        page = rights.get(f"/staff/patterns/alerts/{alert.id}")
        if page.status_code == 200:
            leaks.append(page.get_data(as_text=True))
    police_name = body("police_oversight").name
    assert not any(police_name in page for page in leaks), "another body learns of cases it cannot open"
