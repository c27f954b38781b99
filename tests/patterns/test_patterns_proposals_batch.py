"""The related-case proposals job makes a claimed batch's proposals together: one read of the relations the batch's
cases already have, one INSERT for all their new relations and at most one savepoint, around those writes, instead
of a savepoint, a read and an INSERT per case; the proposals and their audit entries are what they were, and a case
whose proposal fails for a reason other than the database is logged and leaves the queue, the others stored."""
from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns import operations
from civicwatch.patterns.models import CaseRelation, PendingRelationProposal, RelationKind, RelationStatus
from civicwatch.patterns.operations import queue_relation_proposals
from civicwatch.patterns.sweep import PROPOSE_BATCH, propose_queued_relations
from civicwatch.taxonomy.models import District
from tests.sms.conftest import statements_during

TEXTS = [f"Soldiers at the checkpoint of {place} beat the bus driver with rifle butts and took his money."
         for place in ("Tongo Field", "Blama", "Hangha", "Lalehun", "Bandajuma", "Dodo", "Gorahun", "Panguma",
                       "Gbado", "Largo")]


def kenema() -> District:
    return db.session.scalars(select(District).where(District.code == "kenema")).one()


@pytest.fixture
def queued_batch(make_case, clock) -> list[tuple[Case, Case]]:
    """A batch of new cases queued for proposals, each the report again of an older case of the same place."""
    pairs = []
    for n, text in enumerate(TEXTS):
        old = make_case(CaseStatus.INVESTIGATING, text=text, district=kenema(),
                        created_at=clock.now - dt.timedelta(days=3, minutes=n))
        new = make_case(CaseStatus.RECEIVED, text=text + " Again.", district=kenema(),
                        created_at=clock.now - dt.timedelta(minutes=n))
        pairs.append((old, new))
    for _, new in pairs:
        queue_relation_proposals(new)
    db.session.commit()
    assert len(pairs) == PROPOSE_BATCH
    return pairs


def stored_relations() -> list[tuple[int, int, RelationKind, float]]:
    return sorted((r.case_id, r.related_case_id, r.kind, r.score) for r in db.session.scalars(select(CaseRelation)))


def suggested(pairs: list[tuple[Case, Case]], leaving_out: int | None = None) -> list[tuple[int, int, RelationKind, float]]:
    """What each new case's suggestions are, asked case by case (they read nothing the proposals write)."""
    return sorted((new.id, s.case_id, s.kind, s.score) for _, new in pairs if new.id != leaving_out
                  for s in operations.suggest_related_cases(new))


def test_a_batch_of_proposals_reads_its_known_relations_once_and_inserts_them_in_one_statement(queued_batch):
    expected = suggested(queued_batch)
    db.session.rollback()
    assert {(new.id, old.id, RelationKind.DUPLICATE) for old, new in queued_batch} <= {
        (case_id, related_id, kind) for case_id, related_id, kind, _ in expected}
    sent, _ = statements_during(lambda: propose_queued_relations(PROPOSE_BATCH))
    db.session.expire_all()
    assert stored_relations() == expected
    assert db.session.scalars(select(PendingRelationProposal)).all() == []
    assert {r.status for r in db.session.scalars(select(CaseRelation))} == {RelationStatus.PROPOSED}
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case_relation.propose")).all()
    relation_ids = {(r.case_id, r.related_case_id): r.id for r in db.session.scalars(select(CaseRelation))}
    assert sorted((e.case_id, e.object_type, e.object_id, e.after["related_case"], e.after["kind"], e.after["score"])
                  for e in entries) == sorted(
        (case_id, "case_relations", str(relation_ids[case_id, related_id]), related_id, kind.value, score)
        for case_id, related_id, kind, score in expected)
    assert len([s for s in sent if s.startswith("INSERT INTO case_relations")]) == 1, sent
    assert len([s for s in sent if s.startswith("SELECT case_relations.")]) == 1, sent
    assert len([s for s in sent if re.match(r"SAVEPOINT ", s)]) <= 1, sent
    # The claim, the cases, their relations, one neighbourhood each, the savepoint, the insert, its release, and
    # the audit chain's link at the commit (at most 6 statements). The code before took 59 on SQLite.
    assert len(sent) <= 3 + PROPOSE_BATCH + 3 + 6, sent


def test_a_case_whose_proposal_fails_otherwise_is_logged_and_leaves_the_queue_the_others_stored(
        queued_batch, monkeypatch, caplog):
    failing = queued_batch[3][1].id
    expected = suggested(queued_batch, leaving_out=failing)
    db.session.rollback()
    suggest = operations.suggest_related_cases

    def suggest_or_fail(case: Case, *args, **kwargs):
        if case.id == failing:
            raise ValueError("a bug")
        return suggest(case, *args, **kwargs)

    monkeypatch.setattr(operations, "suggest_related_cases", suggest_or_fail)
    with caplog.at_level(logging.ERROR, logger="civicwatch.patterns.sweep"):
        assert propose_queued_relations(PROPOSE_BATCH) == PROPOSE_BATCH
    db.session.expire_all()
    assert stored_relations() == expected
    assert db.session.scalars(select(PendingRelationProposal)).all() == []
    assert f"related cases of case {failing} not proposed (ValueError)" in caplog.text
