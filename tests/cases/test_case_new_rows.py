"""insert_new_case: a new case's row by one INSERT ... RETURNING, the case then persistent as after a flush."""
from __future__ import annotations

from sqlalchemy import inspect, select

from civicwatch.cases.identity import contact_of, store_contact
from civicwatch.cases.models import Case, CaseStatus, Channel, ComplainantIdentity
from civicwatch.cases.new_rows import insert_new_case
from civicwatch.cases.references import new_receipt_code, receipt_hash, temporary_reference
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Actor, District


def new_case(**values: object) -> Case:
    return Case(reference=temporary_reference(), receipt_hash=receipt_hash(new_receipt_code()),
                text="Soldiers beat a trader at the market.", channel=Channel.WEB, created_at=utcnow(), **values)


def test_the_row_its_defaults_and_what_hangs_off_it_are_stored(app):
    district = db.session.scalar(select(District).where(District.code == "bo"))
    region_code = district.region.code
    case = new_case(district=district, region=district.region)
    store_contact(case, {"phone": "+23276123456"})

    insert_new_case(case)
    state = inspect(case)
    assert state.persistent and case in db.session.identity_map.values()
    # The row that hangs off it (the complainant's identity) is written with it: nothing is left for a flush.
    assert [attribute.key for attribute in state.attrs if attribute.history.has_changes()] == []
    assert case.identity is not None and inspect(case.identity).persistent and case.identity.case_id == case.id
    assert not db.session.new and not db.session.dirty
    assert case.id is not None and case.version == 1 and case.status is CaseStatus.RECEIVED
    assert case.tracking_generation == 0 and case.urgent is False
    case_id = case.id
    db.session.commit()

    db.session.expunge_all()
    stored = db.session.get(Case, case_id)
    assert (stored.district.code, stored.region.code) == ("bo", region_code)
    assert (stored.version, stored.status, stored.tracking_generation) == (1, CaseStatus.RECEIVED, 0)
    assert contact_of(stored) == {"phone": "+23276123456"}
    assert db.session.scalar(select(ComplainantIdentity.case_id)) == case_id


def test_a_case_that_names_a_row_not_stored_yet_is_flushed(app):
    actor = Actor(code="forest_guard", name="Forest guard")
    case = new_case(actor=actor)

    insert_new_case(case)
    assert inspect(case).persistent and inspect(actor).persistent
    case_id = case.id
    db.session.commit()

    db.session.expunge_all()
    assert db.session.get(Case, case_id).actor.code == "forest_guard"


def test_a_changed_case_is_then_written_by_the_next_flush(app):
    case = new_case()
    insert_new_case(case)
    case.location_text = "Near the bridge"
    case_id = case.id
    db.session.commit()

    db.session.expunge_all()
    stored = db.session.get(Case, case_id)
    assert (stored.location_text, stored.version) == ("Near the bridge", 2)


def test_a_case_written_in_a_savepoint_rolled_back_leaves_the_session_with_its_row(app):
    """As a flushed case would: otherwise it stays, naming a row that is gone, and on SQLite the next case takes its
    id again and cannot be added to the session."""
    kept = new_case()
    insert_new_case(kept)
    savepoint = db.session.begin_nested()
    undone = new_case()
    store_contact(undone, {"phone": "+23276123456"})
    insert_new_case(undone)
    identity = undone.identity
    savepoint.rollback()
    assert undone not in db.session and identity not in db.session and kept in db.session

    again = new_case()
    insert_new_case(again)  # the same id as the undone one on SQLite, which reuses the highest rowid
    db.session.commit()
    assert db.session.scalars(select(Case.id).order_by(Case.id)).all() == [kept.id, again.id]


def test_a_case_written_in_a_transaction_rolled_back_leaves_the_session(app):
    case = new_case()
    insert_new_case(case)
    db.session.rollback()
    assert case not in db.session
    again = new_case()
    insert_new_case(again)
    db.session.commit()
    assert db.session.scalar(select(Case.id)) == again.id
