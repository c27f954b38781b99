"""The subject register a new case is matched against, as each process keeps it between cases: a subject added,
given a new alias, or taken off the register is seen by the next case, routed or in triage."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns.models import Subject
from civicwatch.patterns.operations import import_subjects, propose_subject_links
from civicwatch.patterns.register import parse_register
from tests.patterns.test_subjects import DISTRICTS, REGISTER, SERVICES, body, load_register

TEXT = "Sgt Kamara and Corporal Bangura beat me."


def proposed(make_case, body_code: str | None) -> list[str]:
    case = make_case(CaseStatus.RECEIVED if body_code is None else CaseStatus.INVESTIGATING, body=body_code,
                     text=TEXT)
    names = sorted(link.subject.name for link in propose_subject_links(case))
    db.session.commit()
    return names


def test_the_register_read_by_a_new_case_follows_every_change(make_case):
    for body_code in (None, "police_oversight"):
        assert proposed(make_case, body_code) == []  # an empty register, now kept by the process
    load_register()
    for body_code in (None, "police_oversight"):
        assert proposed(make_case, body_code) == ["Sergeant Kamara"]
    assert proposed(make_case, "human_rights_commission") == []  # another body's register is not its own

    import_subjects(body(), None, parse_register(
        REGISTER.replace("Sgt Kamara", "Sgt Kamara|Corporal Bangura"), SERVICES, DISTRICTS).rows)
    db.session.commit()  # a new alias
    assert proposed(make_case, "police_oversight") == ["Sergeant Kamara"]  # found once, by either name

    kamara = db.session.scalar(select(Subject).where(Subject.name == "Sergeant Kamara"))
    kamara.active = False
    db.session.commit()  # off the register
    for body_code in (None, "police_oversight"):
        assert proposed(make_case, body_code) == []


def test_a_change_rolled_back_is_not_kept(make_case):
    assert proposed(make_case, "police_oversight") == []
    case = make_case(CaseStatus.INVESTIGATING, text=TEXT)
    import_subjects(body(), None, parse_register(REGISTER, SERVICES, DISTRICTS).rows)
    assert [link.subject.name for link in propose_subject_links(case)] == ["Sergeant Kamara"]  # its own import
    db.session.rollback()
    assert proposed(make_case, "police_oversight") == []
