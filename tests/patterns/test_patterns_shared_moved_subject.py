"""A case sent on keeps its allegation's subject from the first body's register, which the body now holding it does
not see on the case page. Sharing the case with a third body must not show that body the first body's unit or
post either: the restricted view names only subjects of the holding body's register."""
from __future__ import annotations

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation, Subject, SubjectKind
from civicwatch.routing.operations import route_case
from civicwatch.taxonomy.models import Body
from tests.patterns.test_case_shares import REASON, ask, decide, setting  # noqa: F401 (the fixture)


def register_subject(code: str, name: str) -> Subject:
    subject = Subject(body=db.session.query(Body).filter_by(code=code).one(), kind=SubjectKind.POST, name=name)
    db.session.add(subject)
    return subject


def send(case_id: int, code: str, admin) -> Case:
    case = db.session.get(Case, case_id)
    route_case(case, admin, db.session.query(Body).filter_by(code=code).one(), "Sent where it belongs.")
    db.session.commit()
    return case


def test_the_restricted_view_names_no_subject_of_another_register(setting, clock):  # noqa: F811
    s = setting
    admin = s.users["admin"]
    # The case goes to the defence committee, which names a post of its register, and comes back to the commission,
    # which names one of its own.
    at_committee = send(s.old.id, "defence_committee", admin)
    db.session.add(Allegation(case=at_committee, subject=register_subject("defence_committee", "Barracks Seven Kenema")))
    db.session.commit()
    back = send(s.old.id, "human_rights_commission", admin)
    db.session.add(Allegation(case=back, subject=register_subject("human_rights_commission", "Tongo Field checkpoint")))
    db.session.commit()
    assert ask(s).status_code == 302
    assert decide(s, "approve", days=7, reason=REASON).status_code == 302
    page = s.browsers["asker"].get(f"/staff/patterns/shared/cases/{s.old.id}").get_data(as_text=True)
    assert "Tongo Field checkpoint" in page
    assert "Barracks Seven Kenema" not in page
