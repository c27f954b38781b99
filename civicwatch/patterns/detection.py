"""Finding clusters above the thresholds of PATTERN_RULES (config.py): reads only; alerts.py raises them.

A "subject" rule counts allegations of one theme against one unit, post or officer of the register of the body
that holds the case (the allegation's subject, or, while it names none of that register, the subjects its case is
linked to and not rejected) by incident date; a "place" rule compares a district's cases of the last window with
their average over the windows before. Windows are whole days in the deployment's time zone (the TIMEZONE
setting), so that "the last 90 days" ends where staff's today ends, not at UTC's midnight.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import and_, case, distinct, func, not_, select

from civicwatch.cases.models import Case
from civicwatch.database import deployment_date, deployment_midnight
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation, LinkStatus, Subject, SubjectLink
from civicwatch.taxonomy.models import Theme

EVIDENCE_MAX = 200
KINDS = ("subject", "place")


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    min_count: int
    window_days: int
    theme: str | None = None
    factor: float = 2.0
    baseline_windows: int = 3


@dataclass
class Cluster:
    rule: Rule
    key: str
    count: int
    window_start: dt.date
    window_end: dt.date
    subject_id: int | None = None
    district_id: int | None = None
    theme_id: int | None = None
    baseline: float | None = None
    evidence: list[tuple[int, int | None]] = field(default_factory=list)  # (case id, allegation id)


# How far back a rule's window and its baseline windows may reach together: ten years.
MAX_REACH_DAYS = 3653


def rules_from_config(raw: Iterable[Mapping[str, object]]) -> list[Rule]:
    """The rules as settings give them; a bad one is a ValueError that names it."""
    rules = []
    for item in raw:
        try:
            rule = Rule(code=str(item["code"]), kind=str(item["kind"]), min_count=int(str(item["min_count"])),
                        window_days=int(str(item["window_days"])),
                        theme=str(item["theme"]) if item.get("theme") else None,
                        factor=float(str(item.get("factor", 2.0))),
                        baseline_windows=int(str(item.get("baseline_windows", 3))))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"pattern rule {item.get('code')!r} is incomplete or malformed ({exc})") from exc
        if rule.kind not in KINDS or rule.min_count < 1 or rule.window_days < 1 or rule.baseline_windows < 1 \
                or (rule.kind == "subject" and not rule.theme) or not (math.isfinite(rule.factor) and rule.factor > 0):
            raise ValueError(f"pattern rule {rule.code!r}: kind {'/'.join(KINDS)}, positive counts, windows and "
                             "factor, and a theme for subject rules")
        if rule.window_days * (rule.baseline_windows + 1) > MAX_REACH_DAYS:
            raise ValueError(f"pattern rule {rule.code!r}: its window and baseline windows reach back more than "
                             f"{MAX_REACH_DAYS} days")
        rules.append(rule)
    return rules


def subject_clusters(rule: Rule, today: dt.date) -> list[Cluster]:
    theme_id = db.session.scalar(select(Theme.id).where(Theme.code == rule.theme))
    if theme_id is None:
        return []
    start = today - dt.timedelta(days=rule.window_days - 1)
    # A subject counts only if it is of the register of the body that holds the case: a link proposed while the
    # case was in triage (every register is read there), or an allegation's subject chosen before the case was
    # sent on to another body, would tell the subject's body of a case it cannot open, and raise the case's own
    # body an alert about a register it neither reads nor keeps.
    own_register = select(Subject.id).where(Subject.body_id == Case.body_id)
    named = and_(Allegation.subject_id.is_not(None), Allegation.subject_id.in_(own_register))
    subject = func.coalesce(case((named, Allegation.subject_id)), SubjectLink.subject_id).label("subject_id")
    rows = (select(subject, Allegation.id.label("allegation_id"), Allegation.case_id)
            .select_from(Allegation)
            .join(Case, Case.id == Allegation.case_id)
            .outerjoin(SubjectLink, and_(SubjectLink.case_id == Allegation.case_id, not_(named),
                                         SubjectLink.status != LinkStatus.REJECTED,
                                         SubjectLink.subject_id.in_(own_register)))
            .where(Allegation.theme_id == theme_id, Allegation.incident_date >= start,
                   Allegation.incident_date <= today)).subquery()
    hot = (select(rows.c.subject_id).where(rows.c.subject_id.is_not(None)).group_by(rows.c.subject_id)
           .having(func.count(distinct(rows.c.allegation_id)) >= rule.min_count))
    clusters: dict[int, Cluster] = {}
    for subject_id, allegation_id, case_id in db.session.execute(
            select(rows.c.subject_id, rows.c.allegation_id, rows.c.case_id).where(rows.c.subject_id.in_(hot))
            .order_by(rows.c.subject_id, rows.c.allegation_id)):
        cluster = clusters.setdefault(subject_id, Cluster(rule, f"subject:{subject_id}", 0, start, today,
                                                          subject_id=subject_id, theme_id=theme_id))
        cluster.count += 1  # one row per allegation and subject: a case links a subject once
        if len(cluster.evidence) < EVIDENCE_MAX:
            cluster.evidence.append((case_id, allegation_id))
    return list(clusters.values())


def place_clusters(rule: Rule, now: dt.datetime, zone: str | None = None) -> list[Cluster]:
    """Windows of whole days in the deployment's time zone: the current one runs from the start of its first day
    to now, the baseline over the `baseline_windows` windows before it."""
    today = deployment_date(now, zone)
    current_from = today - dt.timedelta(days=rule.window_days - 1)
    baseline_from = current_from - dt.timedelta(days=rule.window_days * rule.baseline_windows)
    current_start, baseline_start = deployment_midnight(current_from, zone), deployment_midnight(baseline_from, zone)
    counts = db.session.execute(
        select(Case.district_id, func.sum(case((Case.created_at >= current_start, 1), else_=0)), func.count(Case.id))
        .where(Case.district_id.is_not(None), Case.created_at >= baseline_start, Case.created_at < now)
        .group_by(Case.district_id))
    clusters = []
    for district_id, current, total in counts:
        current = int(current or 0)
        baseline = (int(total) - current) / rule.baseline_windows
        if current >= rule.min_count and current >= rule.factor * baseline:
            evidence = list(db.session.scalars(
                select(Case.id).where(Case.district_id == district_id, Case.created_at >= current_start,
                                      Case.created_at < now).order_by(Case.id).limit(EVIDENCE_MAX)))
            clusters.append(Cluster(rule, f"district:{district_id}", current, current_from, today,
                                    district_id=district_id, baseline=round(baseline, 2),
                                    evidence=[(case_id, None) for case_id in evidence]))
    return clusters


def find_clusters(rules: Iterable[Rule], now: dt.datetime, zone: str | None = None) -> list[Cluster]:
    """Clusters at `now`, days counted in `zone` (the TIMEZONE setting by default), as staff count them."""
    found: list[Cluster] = []
    for rule in rules:
        found += subject_clusters(rule, deployment_date(now, zone)) if rule.kind == "subject" \
            else place_clusters(rule, now, zone)
    return found
