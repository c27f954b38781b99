"""The pattern jobs of the `deliver` workers. The pattern alerts: find the clusters above PATTERN_RULES and raise or
update their alerts, in one transaction, when a worker starts and then every PATTERN_SWEEP_MINUTES (and by
`civicwatch patterns detect`). Related cases: propose those of the new cases that routing queued, a batch of cases
claimed, proposed and committed together, each exactly once however many workers run (and by `civicwatch patterns
relate`)."""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import delete, false, select, text, update
from sqlalchemy.exc import DBAPIError

from civicwatch.cases.models import Case
from civicwatch.database import run_once, utcnow
from civicwatch.extensions import db
from civicwatch.patterns.alerts import AlertReport, raise_alerts
from civicwatch.patterns.detection import find_clusters, rules_from_config
from civicwatch.patterns.models import PatternAlert, PendingRelationProposal
from civicwatch.patterns.operations import known_relations, new_suggestions, propose_related_cases_of

log = logging.getLogger(__name__)


# Detection runs one at a time across processes (PostgreSQL's advisory lock of this number).
_DETECTION_LOCK_ID = 727_013


def detect_patterns() -> AlertReport:
    """Raise the alerts the data calls for now and commit them. Database errors are raised (try again later)."""
    rules = rules_from_config(current_app.config.get("PATTERN_RULES", ()))
    _one_detection_at_a_time()
    report = raise_alerts(find_clusters(rules, utcnow()))
    db.session.commit()
    if report.raised or report.updated:
        log.info("pattern alerts: %s raised, %s updated", report.raised, report.updated)
    return report


def _one_detection_at_a_time() -> None:
    """Workers started together (a deploy) all detect at once: each would read that no alert exists yet and raise
    its own. The second now waits for the first to commit and then reads its alert. PostgreSQL: an advisory lock
    held until the commit; SQLite: its one write lock, taken before anything is read (a write that matches no row)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _DETECTION_LOCK_ID})
    else:
        db.session.execute(update(PatternAlert).where(false()).values(count=PatternAlert.count))


# Queued cases proposed per transaction: one claim, one audit chain link and one commit for all of them.
PROPOSE_BATCH = 10


def claim_queued_cases(limit: int) -> list[int]:
    """Up to `limit` of the oldest queued cases no other worker holds, taken off the queue in this transaction,
    in one statement. The rows are deleted here and the proposals are committed with the deletion: a crash in
    between leaves them queued, and a second worker either skips the locked rows (PostgreSQL) or, as the DELETE
    takes SQLite's one write lock before it reads, finds them gone; so no case is proposed twice."""
    oldest = select(PendingRelationProposal.case_id).order_by(PendingRelationProposal.created_at,
                                                              PendingRelationProposal.case_id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)
    return sorted(db.session.scalars(
        delete(PendingRelationProposal).where(PendingRelationProposal.case_id.in_(run_once(oldest, db.session.get_bind().dialect.name)))
        .returning(PendingRelationProposal.case_id)
    ))


def propose_queued_relations(limit: int = 50) -> int:
    """Propose the related cases of up to `limit` queued cases, a batch per transaction; returns how many.
    Database errors are raised (the worker tries again on its next round, the batch still queued); a proposal
    that fails otherwise is logged and the case leaves the queue, as a failing step of routing would."""
    done = 0
    while done < limit:
        asked = min(PROPOSE_BATCH, limit - done)
        case_ids = claim_queued_cases(asked)
        if not case_ids:
            db.session.rollback()
            break
        _propose(list(db.session.scalars(select(Case).where(Case.id.in_(case_ids)).order_by(Case.id))))
        db.session.commit()
        done += len(case_ids)
        if len(case_ids) < asked:  # nothing more queued, or held by other workers: not another claim for it
            break
    return done


def _propose(cases: list[Case]) -> None:
    """The batch's proposals: its cases' known relations in one read, each case's suggestions (reads only, so a case
    that fails needs nothing undone), then every case's relations in one INSERT with their audit entries, in a
    savepoint (none when there is nothing to store) that a failure other than the database's rolls back alone."""
    known = known_relations([case.id for case in cases])
    suggested = []
    for case in cases:
        try:
            suggested.append((case, new_suggestions(case, known[case.id])))
        except DBAPIError:
            raise  # the database: the caller rolls back and the batch stays queued
        except Exception as exc:
            log.error("related cases of case %s not proposed (%s)", case.id, type(exc).__name__)
    if not any(suggestions for _, suggestions in suggested):
        return
    savepoint = db.session.begin_nested()
    try:
        propose_related_cases_of(suggested)
        savepoint.commit()
    except DBAPIError:
        raise
    except Exception as exc:
        savepoint.rollback()
        for case, _ in suggested:
            log.error("related cases of case %s not proposed (%s)", case.id, type(exc).__name__)
