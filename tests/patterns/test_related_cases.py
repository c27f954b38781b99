"""Related and duplicate cases: proposed on arrival from the text and the shared place, subject and time; another
body's case is only "a related case exists at <body>", whoever asks and by whichever route."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns.models import (
    CaseRelation,
    LinkStatus,
    RelationKind,
    RelationStatus,
    Subject,
    SubjectKind,
    SubjectLink,
)
from civicwatch.patterns.operations import RELATION_WINDOW, propose_related_cases, suggest_related_cases
from civicwatch.patterns.queries import relation_neighbourhood
from civicwatch.patterns.sweep import propose_queued_relations
from civicwatch.routing.operations import route_new_case
from civicwatch.taxonomy.models import Actor, Body, District
from tests.cases.conftest import post_case_form

OLD_TEXT = ("Soldiers at the Tongo Field checkpoint beat the bus driver with rifle butts and took his money. "
            "Witness Zorblax Quennet saw it.")
NEW_TEXT = "At the Tongo Field checkpoint soldiers beat our bus driver with rifle butts and took money from him."


def district(code: str) -> District:
    return db.session.query(District).filter_by(code=code).one()


def body_name(code: str) -> str:
    return db.session.query(Body).filter_by(code=code).one().name


@pytest.fixture
def pair(make_case, clock):
    """An older case at the human rights commission and a new one at the police oversight authority."""
    kenema = district("kenema")
    old = make_case(CaseStatus.INVESTIGATING, body="human_rights_commission", text=OLD_TEXT, district=kenema,
                    created_at=clock.now - dt.timedelta(days=3))
    new = make_case(CaseStatus.RECEIVED, body="police_oversight", text=NEW_TEXT + " Ticket 4471-NEW.",
                    district=kenema, created_at=clock.now)
    [relation] = propose_related_cases(new)
    db.session.commit()
    return old, new, relation


def test_a_repeated_report_is_proposed_as_a_duplicate_and_an_unrelated_one_is_not(make_case, clock):
    kenema = district("kenema")
    old = make_case(CaseStatus.INVESTIGATING, text=OLD_TEXT, district=kenema, created_at=clock.now - dt.timedelta(days=2))
    make_case(CaseStatus.INVESTIGATING, text="The prison guards refused my brother food and visits for a week.",
              district=kenema, created_at=clock.now - dt.timedelta(days=1))
    make_case(CaseStatus.INVESTIGATING, text=OLD_TEXT, district=kenema, created_at=clock.now - dt.timedelta(days=200))
    new = make_case(CaseStatus.RECEIVED, body=None, text=NEW_TEXT, district=kenema, created_at=clock.now)
    route_new_case(new)  # routing queues the case; a worker proposes its related cases
    assert propose_queued_relations() == 1
    db.session.commit()
    relations = list(db.session.scalars(select(CaseRelation).where(CaseRelation.case_id == new.id)))
    assert [(r.related_case_id, r.kind, r.status) for r in relations] == [
        (old.id, RelationKind.DUPLICATE, RelationStatus.PROPOSED)]  # not the unrelated one, not the one of last year
    assert "same_place" in relations[0].reasons and relations[0].score > 0.6


def test_the_same_place_and_theme_is_compared_however_many_other_cases_the_place_had_since(make_case, clock):
    """A place with many cases: the report sent again two days later is still among the texts compared, though
    more cases of other themes came in at that place in between than the place's own share of candidates."""
    kenema = district("kenema")
    old = make_case(CaseStatus.INVESTIGATING, theme="abuse_of_force", text=OLD_TEXT, district=kenema,
                    created_at=clock.now - dt.timedelta(days=2))
    since = [make_case(CaseStatus.INVESTIGATING, theme="corruption", district=kenema,
                       created_at=clock.now - dt.timedelta(hours=hours)) for hours in range(1, 6)]
    new = make_case(CaseStatus.RECEIVED, theme="abuse_of_force", text=NEW_TEXT, district=kenema, created_at=clock.now)
    found = [candidate.id for candidate in relation_neighbourhood(new, RELATION_WINDOW, 4).candidates]
    assert found == [since[0].id, since[1].id, old.id]  # the place's newest two, and the same theme's



def name_subjects(links: list[tuple[object, Subject, LinkStatus]]) -> None:
    db.session.add_all(SubjectLink(case=case, subject=subject, status=status) for case, subject, status in links)
    db.session.commit()


def subject(name: str, body: str = "police_oversight") -> Subject:
    found = Subject(body=db.session.query(Body).filter_by(code=body).one(), kind=SubjectKind.POST, name=name)
    db.session.add(found)
    return found


@pytest.fixture
def statements(app):
    """The statements sent to the database since the list was last emptied."""
    sent: list[str] = []

    def record(conn, cursor, statement, *_):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(db.engine, "before_cursor_execute", record)


def test_one_statement_reads_the_neighbours_naming_the_case_s_subjects_and_the_subjects_each_names(
        make_case, clock, statements):
    """Another place's case naming the same post is compared (and the subjects come with it); a rejected link, or
    a case of the subject outside the window, is not."""
    junction, unit = subject("Bo Junction post"), subject("OSD Kenema")
    old = make_case(CaseStatus.INVESTIGATING, theme="corruption", text=OLD_TEXT, district=district("bo"),
                    created_at=clock.now - dt.timedelta(days=5))
    rejected = make_case(CaseStatus.INVESTIGATING, district=district("bo"), created_at=clock.now - dt.timedelta(days=4))
    long_ago = make_case(CaseStatus.INVESTIGATING, district=district("bo"),
                         created_at=clock.now - dt.timedelta(days=120))
    new = make_case(CaseStatus.RECEIVED, theme="abuse_of_force", text=NEW_TEXT, district=district("kenema"),
                    created_at=clock.now)
    name_subjects([(new, junction, LinkStatus.PROPOSED), (old, junction, LinkStatus.CONFIRMED),
                   (old, unit, LinkStatus.CONFIRMED), (rejected, junction, LinkStatus.REJECTED),
                   (long_ago, junction, LinkStatus.CONFIRMED)])
    db.session.refresh(new)  # the case as the worker holds it
    statements.clear()
    found = relation_neighbourhood(new, RELATION_WINDOW, 4)
    assert len(statements) == 1
    assert found.subjects == {junction.id}
    assert [(c.id, c.subjects) for c in found.candidates] == [(old.id, {junction.id, unit.id})]
    [suggestion] = suggest_related_cases(new)
    assert suggestion.case_id == old.id and "same_subject" in suggestion.reasons
    assert "same_place" not in suggestion.reasons


def test_a_case_of_no_known_place_or_subject_is_compared_with_its_theme_and_service_only(make_case, clock):
    police, other_service = db.session.scalars(select(Actor).order_by(Actor.id).limit(2))
    same = make_case(CaseStatus.INVESTIGATING, theme="abuse_of_force", actor=police,
                     created_at=clock.now - dt.timedelta(days=1))
    make_case(CaseStatus.INVESTIGATING, theme="abuse_of_force", actor=other_service,
              created_at=clock.now - dt.timedelta(days=1))
    make_case(CaseStatus.INVESTIGATING, theme="corruption", actor=police, created_at=clock.now - dt.timedelta(days=1))
    new = make_case(CaseStatus.RECEIVED, theme="abuse_of_force", actor=police, created_at=clock.now)
    assert new.district_id is None
    assert [c.id for c in relation_neighbourhood(new, RELATION_WINDOW, 4).candidates] == [same.id]
    name_subjects([(new, subject("Bo Junction post"), LinkStatus.PROPOSED)])  # a subject known: not by theme
    assert relation_neighbourhood(new, RELATION_WINDOW, 4).candidates == []


# Five staff members made and signed in: argon2 at its lowest cost (what is tested here is not the password).

ROLES = ("admin", "triage", "investigator", "other_investigator", "auditor")


@pytest.fixture
def staff(make_user, signed_in):
    users = {"admin": make_user(Role.ADMIN), "triage": make_user(Role.TRIAGE),
             "investigator": make_user(Role.INVESTIGATOR, body="police_oversight"),
             "other_investigator": make_user(Role.INVESTIGATOR, body="human_rights_commission"),
             "auditor": make_user(Role.AUDITOR)}
    return {role: signed_in(user) for role, user in users.items()}


def test_no_role_reads_another_body_s_related_case_by_any_route(pair, staff):
    old, new, relation = pair
    sees_all = {"admin", "triage", "auditor"}
    failures = []
    for role, client in staff.items():
        for case, other, other_words, holder in ((new, old, ("Zorblax", old.reference), "human_rights_commission"),
                                                 (old, new, ("4471-NEW", new.reference), "police_oversight")):
            mine = role in sees_all or (role == "investigator") == (case is new)
            response = client.get(f"/staff/cases/{case.id}")
            page = response.get_data(as_text=True)
            if not mine:
                if response.status_code != 404 or "Zorblax" in page or "4471-NEW" in page:
                    failures.append(f"{role} opened {case.reference}")
                continue
            if role in sees_all:
                if other.reference not in page:
                    failures.append(f"{role} does not see {other.reference} on {case.reference}")
            elif any(word in page for word in other_words) or \
                    f"A related case exists at {body_name(holder)}" not in page:
                failures.append(f"{role} read the other body's case on {case.reference}")
            for attempt in (f"/staff/cases/{other.id}", f"/staff/cases/{other.id}/related/{relation.id}/link"):
                if role in sees_all:
                    continue
                answer = client.get(attempt) if attempt.endswith(str(other.id)) else post_case_form(
                    client, other.id, f"related/{relation.id}/link", "relation")
                if answer.status_code != 404:
                    failures.append(f"{role} reached {attempt}: {answer.status_code}")
    assert failures == []
    assert db.session.get(CaseRelation, relation.id).status is RelationStatus.PROPOSED


def test_staff_ask_to_share_link_or_dismiss_and_each_is_audited(pair, staff, make_case):
    old, new, relation = pair
    client = staff["investigator"]
    assert post_case_form(client, new.id, f"related/{relation.id}/request-share", "relation").status_code == 302
    assert post_case_form(client, new.id, f"related/{relation.id}/request-share", "relation").status_code == 409
    theirs = staff["other_investigator"].get(f"/staff/cases/{old.id}").get_data(as_text=True)
    assert "asks to read this case" in theirs and "4471-NEW" not in theirs
    assert post_case_form(staff["other_investigator"], old.id, f"related/{relation.id}/dismiss",
                          "relation").status_code == 302
    db.session.expire_all()
    decided = db.session.get(CaseRelation, relation.id)
    assert decided.related_status is RelationStatus.DISMISSED  # for the commission's case only
    assert decided.status is RelationStatus.PROPOSED
    third = make_case(CaseStatus.INVESTIGATING, body="police_oversight")
    assert post_case_form(client, third.id, f"related/{relation.id}/link", "relation").status_code == 404
    assert post_case_form(client, new.id, f"related/{relation.id}/merge", "relation").status_code == 404
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("case_%.%"))
                                      .order_by(AuditEntry.seq)))
    assert actions == ["case_relation.propose", "case_share.request", "case_relation.decide"]


def test_one_body_dismissing_a_suggestion_does_not_hide_it_from_the_other(pair, staff):
    """Each body decides for its own case: the human rights commission dismissing the suggestion must not take it
    off the police oversight authority's case (an insider at one body could otherwise keep another from learning
    of a related case), and the other body's link does not undo the first body's dismissal."""
    old, new, relation = pair
    theirs, ours = staff["other_investigator"], staff["investigator"]
    assert post_case_form(theirs, old.id, f"related/{relation.id}/dismiss", "relation").status_code == 302

    assert f'id="relation-{relation.id}"' not in theirs.get(f"/staff/cases/{old.id}").get_data(as_text=True)
    page = ours.get(f"/staff/cases/{new.id}").get_data(as_text=True)
    assert f'id="relation-{relation.id}"' in page
    assert f"A related case exists at {body_name('human_rights_commission')}" in page
    assert f"/staff/cases/{new.id}/related/{relation.id}/link" in page  # still theirs to decide

    assert post_case_form(ours, new.id, f"related/{relation.id}/link", "relation").status_code == 302
    assert f'id="relation-{relation.id}"' in ours.get(f"/staff/cases/{new.id}").get_data(as_text=True)
    assert f'id="relation-{relation.id}"' not in theirs.get(f"/staff/cases/{old.id}").get_data(as_text=True)


def test_within_one_body_a_decision_holds_for_both_cases(make_case, clock, staff):
    kenema = district("kenema")
    old = make_case(CaseStatus.INVESTIGATING, body="police_oversight", text=OLD_TEXT, district=kenema,
                    created_at=clock.now - dt.timedelta(days=3))
    new = make_case(CaseStatus.RECEIVED, body="police_oversight", text=NEW_TEXT, district=kenema,
                    created_at=clock.now)
    [relation] = propose_related_cases(new)
    db.session.commit()
    client = staff["investigator"]
    assert post_case_form(client, old.id, f"related/{relation.id}/dismiss", "relation").status_code == 302
    for case in (old, new):
        assert f'id="relation-{relation.id}"' not in client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
