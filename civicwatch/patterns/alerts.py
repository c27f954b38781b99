"""Pattern alerts: raised from the clusters detection finds, to the bodies concerned, with their evidence; then a
small workflow (open, acknowledged, referred, closed). Operations flush but never commit; each change is audited."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext, pgettext
from sqlalchemy import select

from civicwatch.accounts.models import Role, User, role_word
from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import Case
from civicwatch.cases.permissions import recused_case_ids
from civicwatch.errors import InvalidTransitionError, NotFoundError, PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.patterns.detection import Cluster
from civicwatch.patterns.models import AlertEvidence, AlertStatus, PatternAlert, Subject
from civicwatch.taxonomy.models import Body

A = AlertStatus
TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    A.OPEN: frozenset({A.ACKNOWLEDGED, A.REFERRED, A.CLOSED}),
    A.ACKNOWLEDGED: frozenset({A.REFERRED, A.CLOSED}),
    A.REFERRED: frozenset({A.CLOSED}),
    A.CLOSED: frozenset(),
}
ACTING_ROLES = frozenset({Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR})


@dataclass
class AlertReport:
    raised: int = 0
    updated: int = 0


def _bodies(cluster: Cluster) -> list[Body]:
    case_ids = [case_id for case_id, _ in cluster.evidence]
    ids = set(db.session.scalars(select(Case.body_id).where(Case.id.in_(case_ids), Case.body_id.is_not(None))))
    if cluster.subject_id is not None:
        ids |= set(db.session.scalars(select(Subject.body_id).where(Subject.id == cluster.subject_id)))
    return list(db.session.scalars(select(Body).where(Body.id.in_(ids)))) if ids else []


def _add_evidence(alert: PatternAlert, cluster: Cluster, known: set[int]) -> int:
    added = 0
    for case_id, allegation_id in cluster.evidence:
        if case_id not in known:
            alert.evidence.append(AlertEvidence(case_id=case_id, allegation_id=allegation_id))
            known.add(case_id)
            added += 1
    return added


def _summary(alert: PatternAlert) -> dict[str, object]:
    return {"rule": alert.rule, "key": alert.key, "count": alert.count, "status": alert.status.value,
            "bodies": sorted(b.code for b in alert.bodies), "cases": len(alert.evidence)}


def _raise(cluster: Cluster) -> PatternAlert:
    alert = PatternAlert(rule=cluster.rule.code, key=cluster.key, subject_id=cluster.subject_id,
                         district_id=cluster.district_id, theme_id=cluster.theme_id, count=cluster.count,
                         baseline=cluster.baseline, window_start=cluster.window_start, window_end=cluster.window_end,
                         bodies=_bodies(cluster))
    _add_evidence(alert, cluster, set())
    db.session.add(alert)
    db.session.flush()
    record_audit(None, "pattern_alert.raise", alert, after=_summary(alert))
    return alert


def raise_alerts(clusters: list[Cluster]) -> AlertReport:
    """One alert per rule and cluster key: a cluster that grows adds its new cases to the alert still being
    worked on; after it is closed, only new cases raise a new one."""
    report = AlertReport()
    for cluster in clusters:
        latest = db.session.scalar(select(PatternAlert).where(PatternAlert.rule == cluster.rule.code,
                                                              PatternAlert.key == cluster.key)
                                   .order_by(PatternAlert.id.desc()).limit(1))
        known = {e.case_id for e in latest.evidence} if latest is not None else set()
        if latest is None or (latest.status is A.CLOSED and {c for c, _ in cluster.evidence} - known):
            _raise(cluster)
            report.raised += 1
        elif latest.status is not A.CLOSED and _add_evidence(latest, cluster, known):
            latest.count, latest.baseline = max(latest.count, cluster.count), cluster.baseline
            latest.window_end = cluster.window_end
            fresh = _bodies(cluster)
            latest.bodies = fresh + [b for b in latest.bodies if b not in fresh]
            db.session.flush()
            record_audit(None, "pattern_alert.update", latest, after=_summary(latest))
            report.updated += 1
    return report


def may_see_alert(user: User, alert: PatternAlert) -> bool:
    """Investigators see the alerts of their own body only; the other roles see all."""
    return user.role is not Role.INVESTIGATOR or any(b.id == user.body_id for b in alert.bodies)


def recused_from_alert(user: User, alert: PatternAlert) -> bool:
    """Whether the user recused from a case of the alert's evidence."""
    recused = recused_case_ids(user)
    return bool(recused) and any(e.case_id in recused for e in alert.evidence)


def may_change_alert(user: User, alert: PatternAlert) -> bool:
    """Acting roles may move an alert, but not one gathering a case they recused from: moving it decides what
    becomes of the pattern their case is part of. Their colleagues decide."""
    return user.role in ACTING_ROLES and not recused_from_alert(user, alert)


def change_alert_status(alert: PatternAlert, user: User, status: AlertStatus) -> None:
    """Move the alert along its workflow: 403 for a role that never may, 404 for someone recused from a case of
    its evidence (as every recusal refusal), 409 for a move the workflow does not allow."""
    if user.role not in ACTING_ROLES:
        raise PermissionDeniedError(gettext("Your role (%(role)s) cannot change an alert.", role=role_word(user.role)))
    if recused_from_alert(user, alert):
        raise NotFoundError(gettext("There is no alert with that number for you to change: you recused yourself "
                                    "from a case it gathers."))
    if status not in TRANSITIONS[alert.status]:
        raise InvalidTransitionError(gettext("An alert that is %(source)s cannot become %(target)s.",
                                             source=alert_word(alert.status),
                                             target=alert_word(status)))
    before = {"status": alert.status.value}
    alert.status = status
    db.session.flush()
    record_audit(user, f"pattern_alert.{status.value}", alert, before=before, after={"status": status.value})


def alert_word(status: AlertStatus) -> str:
    """The status of an alert, alone or inside a sentence about it, in the reader's language (which agrees it with
    "alert")."""
    return {AlertStatus.OPEN: pgettext("alert", "open"), AlertStatus.ACKNOWLEDGED: pgettext("alert", "acknowledged"),
            AlertStatus.REFERRED: pgettext("alert", "referred"), AlertStatus.CLOSED: pgettext("alert", "closed")}[status]
