"""A report by SMS is routed by the inbox worker like a web report: its related cases are queued for the
`deliver` round, not compared while the text is answered."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.patterns.models import CaseRelation, PendingRelationProposal
from civicwatch.patterns.sweep import propose_queued_relations

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."


def test_an_sms_report_is_queued_for_its_related_cases(text, clock):
    text(REPORT)
    (case,) = db.session.scalars(select(Case))
    assert list(db.session.scalars(select(PendingRelationProposal.case_id))) == [case.id]
    assert propose_queued_relations() == 1
    assert list(db.session.scalars(select(PendingRelationProposal.case_id))) == []
    assert list(db.session.scalars(select(CaseRelation))) == []  # nothing like it before
