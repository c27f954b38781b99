"""Reading routing rules, the confidence threshold and each body's override figures."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import aliased, joinedload

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.routing.models import DecisionKind, RoutingDecision, RoutingRule
from civicwatch.routing.rules import Rule, match_rule
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


def suggested_body(case: Case) -> Body | None:
    """The open body the first fitting rule names for the case as read now, whatever the confidence; for
    triage officers to confirm."""
    theme, actor, region = (item.code if item is not None else None for item in (case.theme, case.actor, case.region))
    rule = match_rule(rule_values(), theme, actor, region)
    if rule is None:
        return None
    return db.session.scalar(select(Body).where(Body.code == rule.body, Body.active.is_(True)))


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
