"""The pattern jobs of the `deliver` workers. The pattern alerts: find the clusters above PATTERN_RULES and raise or
update their alerts, in one transaction, when a worker starts and then every PATTERN_SWEEP_MINUTES (and by
`civicwatch patterns detect`). Related cases: propose those of the new cases that routing queued, each case
claimed, proposed and committed on its own, exactly once however many workers run (and by `civicwatch patterns
relate`)."""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError

from civicwatch.cases.models import Case
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.patterns.alerts import AlertReport, raise_alerts
from civicwatch.patterns.detection import find_clusters, rules_from_config
from civicwatch.patterns.models import PendingRelationProposal
from civicwatch.patterns.operations import propose_related_cases

log = logging.getLogger(__name__)


def detect_patterns() -> AlertReport:
    """Raise the alerts the data calls for now and commit them. Database errors are raised (try again later)."""
    rules = rules_from_config(current_app.config.get("PATTERN_RULES", ()))
    report = raise_alerts(find_clusters(rules, utcnow()))
    db.session.commit()
    if report.raised or report.updated:
        log.info("pattern alerts: %s raised, %s updated", report.raised, report.updated)
    return report


def claim_queued_case() -> int | None:
    """The oldest queued case no other worker holds, taken off the queue in this transaction; None if there is
    none. The row is deleted here and the proposals are committed with the deletion: a crash in between leaves it
    queued, and a second worker either skips the locked row (PostgreSQL) or deletes nothing (SQLite's one
    writer), so no case is proposed twice."""
    query = select(PendingRelationProposal.case_id).order_by(PendingRelationProposal.created_at,
                                                             PendingRelationProposal.case_id).limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    case_id = db.session.scalar(query)
    if case_id is None:
        return None
    gone = db.session.execute(delete(PendingRelationProposal).where(PendingRelationProposal.case_id == case_id))
    return case_id if gone.rowcount == 1 else None  # type: ignore[attr-defined]


def propose_queued_relations(limit: int = 50) -> int:
    """Propose the related cases of up to `limit` queued cases, each in its own transaction; returns how many.
    Database errors are raised (the worker tries again on its next round); a proposal that fails otherwise is
    logged and the case leaves the queue, as a failing step of routing would."""
    done = 0
    for _ in range(limit):
        case_id = claim_queued_case()
        if case_id is None:
            db.session.rollback()
            break
        _propose(case_id)
        db.session.commit()
        done += 1
    return done


def _propose(case_id: int) -> None:
    case = db.session.get(Case, case_id)
    if case is None:
        return
    savepoint = db.session.begin_nested()
    try:
        propose_related_cases(case)
        savepoint.commit()
    except DBAPIError:
        raise  # the database: the caller rolls back and the case stays queued
    except Exception as exc:
        savepoint.rollback()
        log.error("related cases of case %s not proposed (%s)", case_id, type(exc).__name__)
