"""Reading routing rules, the confidence threshold and each body's override figures.

Routing a case reads the rules, the threshold setting and the taxonomy rows it links through the per-process
taxonomy cache (civicwatch.taxonomy.cache): no taxonomy query per case while nothing changes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Exists, String, and_, cast, distinct, exists, func, inspect, or_, select
from sqlalchemy.orm import aliased, joinedload, make_transient_to_detached

from civicwatch.cases.models import OPEN_STATUSES, Case, CaseStatus
from civicwatch.extensions import db
from civicwatch.routing.models import DecisionKind, RoutingDecision, RoutingRule
from civicwatch.routing.rules import Rule, match_rule
from civicwatch.taxonomy.cache import cached
from civicwatch.taxonomy.models import Actor, Body, District, Region, Theme
from civicwatch.taxonomy.queries import Coded, get_setting

THRESHOLD_SETTING = "routing_confidence_threshold"
DEFAULT_THRESHOLD = 0.5


def threshold_override() -> float | None:
    """The threshold an admin set explicitly (the Setting), or None: then the model's own threshold applies."""
    value = cached("threshold_setting", lambda: get_setting(THRESHOLD_SETTING))
    if value is None or isinstance(value, bool):
        return None
    try:
        return min(1.0, max(0.0, float(value)))
    except (TypeError, ValueError):
        return None


def routing_threshold(model_threshold: float | None = None) -> float:
    """The confidence below which a case waits in triage: the admin's setting when there is one, else the
    threshold the active model chose at training time for its target accuracy of routed cases, else 0.5."""
    return chosen_threshold(threshold_override(), model_threshold)


def chosen_threshold(override: float | None, model_threshold: float | None) -> float:
    """routing_threshold from the admin's setting (threshold_override) already read."""
    if override is not None:
        return override
    if model_threshold is not None:
        return min(1.0, max(0.0, float(model_threshold)))
    return DEFAULT_THRESHOLD


def threshold_source(model_threshold: float | None) -> str:
    """Where routing_threshold() takes its value from: "setting", "model" or "default"."""
    if threshold_override() is not None:
        return "setting"
    return "model" if model_threshold is not None else "default"


def cached_rule_values() -> list[Rule]:
    """rule_values() through the taxonomy cache."""
    return cached("routing_rules", rule_values)


def _detached_copy(row: Coded) -> Coded:
    """A copy of a row that belongs to no session, with every column loaded (merged later without a query)."""
    copy = type(row)(**{column.key: getattr(row, column.key) for column in inspect(type(row)).column_attrs})
    make_transient_to_detached(copy)
    return copy


def _rows_of(model: type[Coded]) -> dict[tuple[str, str], object]:
    return {(model.__name__, row.code): _detached_copy(row) for row in db.session.scalars(select(model))}


def _taxonomy_rows() -> dict[tuple[str, str], object]:
    return {**_rows_of(Theme), **_rows_of(Actor), **_rows_of(Region), **_rows_of(District), **_rows_of(Body)}


def taxonomy_row(model: type[Coded], code: str | None) -> Coded | None:
    """The row with this code, attached to the session from the per-process cache (no query)."""
    if not code:
        return None
    return attached_row(cached("taxonomy_rows", _taxonomy_rows), model, code)


@dataclass(frozen=True)
class RoutingTables:
    """What routing a new case reads from the taxonomy, taken from the per-process cache in one look-up: the
    taxonomy rows by (model, code), the rules in the order they are tried, and the admin's threshold."""

    rows: dict[tuple[str, str], object]
    rules: list[Rule]
    threshold_override: float | None

    def row(self, model: type[Coded], code: str | None) -> Coded | None:
        """taxonomy_row from these tables."""
        return attached_row(self.rows, model, code) if code else None


def routing_tables() -> RoutingTables:
    """The tables of a routing plan, built from the same cached values taxonomy_row, cached_rule_values and
    threshold_override read (so no more queries when the taxonomy changes), checked against the taxonomy's
    version once per case instead of once per value."""
    return cached("routing_tables", lambda: RoutingTables(
        cached("taxonomy_rows", _taxonomy_rows),
        sorted(cached_rule_values(), key=lambda rule: (rule.priority, rule.id if rule.id is not None else 0)),
        threshold_override()))


def attached_row(rows: dict[tuple[str, str], object], model: type[Coded], code: str) -> Coded | None:
    """The cached row of this model and code, attached to the session."""
    copy = rows.get((model.__name__, code))
    if not isinstance(copy, model):
        return None
    key = inspect(copy).key
    present = db.session.identity_map.get(key) if key is not None else None
    if isinstance(present, model):  # already in this session, perhaps with changes of its own: keep it
        return present
    return db.session.merge(copy, load=False)


def region_of_district(district_code: str) -> str | None:
    regions = cached("district_regions", lambda: {
        code: region for code, region in db.session.execute(
            select(District.code, Region.code).join(Region, District.region_id == Region.id))})
    return regions.get(district_code)


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


@dataclass(frozen=True)
class LanguageCount:
    language: str | None  # None: cases stored before languages were detected
    cases: int
    in_triage: int  # of those, open cases no body holds yet


def cases_by_language() -> list[LanguageCount]:
    """How many cases arrived in each detected language, and how many of them wait in the triage queue."""
    waiting = and_(Case.body_id.is_(None), Case.status.in_(OPEN_STATUSES))
    rows = db.session.execute(
        select(Case.language, func.count(Case.id), func.count(Case.id).filter(waiting))
        .group_by(Case.language).order_by(func.count(Case.id).desc(), Case.language)
    ).all()
    return [LanguageCount(language, total, in_triage) for language, total, in_triage in rows]


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


def automatic_decision_exists(case_id: int) -> Exists:
    return exists().where(RoutingDecision.case_id == case_id, RoutingDecision.kind == DecisionKind.AUTOMATIC)
