"""Reading routing rules, the confidence threshold and each body's override figures."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, and_, cast, distinct, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from civicwatch.routing.models import DecisionKind, RoutingDecision, RoutingRule
from civicwatch.routing.rules import Rule
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.queries import get_setting

THRESHOLD_SETTING = "routing_confidence_threshold"
DEFAULT_THRESHOLD = 0.5


def routing_threshold() -> float:
    """The confidence below which a case waits in triage (the Setting, or 0.5 when unset or unreadable)."""
    value = get_setting(THRESHOLD_SETTING, DEFAULT_THRESHOLD)
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD
    return min(1.0, max(0.0, threshold))


def all_rules() -> list[RoutingRule]:
    """Every rule in the order they are tried."""
    return list(db.session.scalars(
        select(RoutingRule)
        .options(joinedload(RoutingRule.theme), joinedload(RoutingRule.actor), joinedload(RoutingRule.region),
                 joinedload(RoutingRule.body))
        .order_by(RoutingRule.priority, RoutingRule.id)
    ))


def rule_values(rules: list[RoutingRule] | None = None) -> list[Rule]:
    """The rules as plain values for `decide_route`; a rule whose body is closed never fires."""
    return [
        Rule(priority=rule.priority, theme=rule.theme.code, body=rule.body.code,
             actor=rule.actor.code if rule.actor else None, region=rule.region.code if rule.region else None,
             id=rule.id, active=bool(rule.active and rule.body.active))
        for rule in (rules if rules is not None else all_rules())
    ]


@dataclass(frozen=True)
class BodyOverrides:
    body: Body
    routed_automatically: int
    overridden: int

    @property
    def rate(self) -> float | None:
        return self.overridden / self.routed_automatically if self.routed_automatically else None


def override_rates() -> list[BodyOverrides]:
    """Per body: cases the rules sent there on arrival, and how many of those staff then moved by hand."""
    later = aliased(RoutingDecision)
    rows = db.session.execute(
        select(
            RoutingDecision.to_body_id,
            func.count(distinct(RoutingDecision.case_id)),
            func.count(distinct(later.case_id)),
        )
        .outerjoin(later, and_(later.case_id == RoutingDecision.case_id, later.kind == DecisionKind.BY_HAND,
                               later.from_body_id == RoutingDecision.to_body_id, later.id > RoutingDecision.id))
        .where(RoutingDecision.kind == DecisionKind.AUTOMATIC, RoutingDecision.to_body_id.is_not(None))
        .group_by(RoutingDecision.to_body_id)
    ).all()
    figures = {body_id: (routed, overridden) for body_id, routed, overridden in rows}
    bodies = db.session.scalars(select(Body).order_by(Body.name))
    return [BodyOverrides(body, *figures.get(body.id, (0, 0))) for body in bodies]


def never_routed() -> ColumnElement[bool]:
    """A case routing never saw: received, no body, no routing explanation (a failed routing leaves one)
    and no routing decision. What a crash between the commit of a complaint and its routing leaves."""
    return and_(
        Case.status == CaseStatus.RECEIVED, Case.body_id.is_(None), Case.routed_by_hand.is_(False),
        # Never written is SQL NULL; a JSON null is stored as the text 'null' on both databases.
        or_(Case.routing_explanation.is_(None), cast(Case.routing_explanation, String) == "null"),
        ~exists().where(RoutingDecision.case_id == Case.id),
    )


def never_routed_case_ids(stored_before: dt.datetime, limit: int) -> list[int]:
    """Cases stored before `stored_before` that were never routed, oldest first."""
    return list(db.session.scalars(
        select(Case.id).where(never_routed(), Case.created_at < stored_before).order_by(Case.id).limit(limit)
    ))


def has_automatic_decision(case_id: int) -> bool:
    return db.session.scalar(select(RoutingDecision.id).where(
        RoutingDecision.case_id == case_id, RoutingDecision.kind == DecisionKind.AUTOMATIC).limit(1)) is not None
