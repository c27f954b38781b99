"""Classifying and routing cases, staff corrections and overrides, and the case page's routing actions. The
rules themselves are written in rule_operations.py.

Operations flush but never commit. `route_new_case` never raises: a case that cannot be read or routed
stays in the triage queue (body NULL) with the reason in its routing explanation.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, cast

from flask import current_app
from flask_babel import format_number, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, bindparam, insert, inspect, select

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.counts import key_of, move_case
from civicwatch.cases.deadlines import set_deadlines
from civicwatch.cases.models import Case, CaseEvent
from civicwatch.cases.operations import settle_after_routing
from civicwatch.cases.permissions import require
from civicwatch.classify.classifier import Classification, Classifier, ModelLoadError
from civicwatch.classify.language import LANGUAGE_NAMES, UNDETERMINED, detect_script, language_list, language_name
from civicwatch.classify.models import LabelledExample
from civicwatch.classify.registry import current_classifier
from civicwatch.database import connection_lost, utcnow
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.routing.models import DecisionKind, RoutingDecision
from civicwatch.routing.queries import (
    RoutingTables,
    automatic_decision_exists,
    chosen_threshold,
    never_routed,
    region_of_district,
    routing_tables,
    routing_threshold,
    rule_values,
    taxonomy_row,
)
from civicwatch.routing.rules import Reading, RouteDecision, decide_route, explain
from civicwatch.taxonomy.models import Actor, Body, District, Region, Theme
from civicwatch.taxonomy.queries import Coded, require_district_in_region
from civicwatch.text import Field, check_text

REFERRAL_FIELD = Field(_l("Write the reason for sending it there first."),
                       _l("The reason for sending it there is too long: at most %(maximum)s characters."))

log = logging.getLogger(__name__)

REASON_MAX = 2000

# Work of the domains above routing that follows the routing of a new case, in its transaction (patterns: the
# case's first allegation, its subjects and related cases). Installed by them; a failure is logged and the
# routing stands.
_after_routing: list[Callable[[Case, bool], None]] = []


def after_routing(step: Callable[[Case, bool], None]) -> None:
    """Run `step(case, fresh)` after every new case is routed (or left in triage) by `route_new_case`,
    `write_planned_route` or `route_fresh_case_step_by_step`; `fresh`: the case was stored in this very
    transaction, so nothing of the step's is stored for it yet."""
    if step not in _after_routing:
        _after_routing.append(step)


def _run_after_routing(case: Case, fresh: bool) -> None:
    """Each step in its own savepoint: a step that fails (even in the database) is undone alone, and the stored,
    routed case is still committed by the caller."""
    for step in _after_routing:
        failure = _in_savepoint(partial(step, case, fresh))
        if failure is not None:
            log.error("after routing case %s, %s failed (%s)", case.id, step.__name__, type(failure).__name__)


def _in_savepoint(work: Callable[[], object]) -> Exception | None:
    """Do `work` in a savepoint: None when it is done, or the exception for which it was undone. A lost database
    connection is raised: the whole transaction is gone with it, for the caller to roll back and retry."""
    savepoint = db.session.begin_nested()
    try:
        work()
        savepoint.commit()
    except Exception as exc:
        if connection_lost(exc):
            raise
        savepoint.rollback()
        return exc
    return None


class _Keep:
    """Marker for "leave this field as it is" in `correct_case`."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


@dataclass
class RoutePlan:
    """Everything route_new_case will write, worked out before anything is written."""

    explanation: dict[str, Any]
    body: Body | None = None
    theme: Theme | None = None
    actor: Actor | None = None
    region: Region | None = None
    district: District | None = None
    confidence: float | None = None
    scores: dict[str, float] | None = None
    model_version: str | None = None
    urgent: bool = False
    classified: bool = False


def _by_code(model: type[Coded], code: str | None) -> Coded | None:
    return taxonomy_row(model, code)


def _code(row: Body | Theme | Actor | Region | District | None) -> str | None:
    return row.code if row is not None else None


def _triage_plan(reason: str) -> RoutePlan:
    return RoutePlan(explanation={"decision": "triage", "body": None, "reason": reason, "model_version": None})


def _places(case: Case, tables: RoutingTables, actor_code: str | None, region_code: str | None,
            district_code: str | None) -> tuple[Actor | None, Region | None, District | None, dict[str, str]]:
    """What the complainant chose in the form wins; the text fills what they left empty."""
    sources: dict[str, str] = {}
    actor = case.actor
    if actor is not None:
        sources["actor_source"] = "complainant"
    else:
        actor = tables.row(Actor, actor_code)
        if actor is not None:
            sources["actor_source"] = "text"
    region, district = case.region, case.district
    if region is not None or district is not None:
        sources["place_source"] = "complainant"
        if region is None and district is not None:
            region = district.region
    else:
        district = tables.row(District, district_code)
        if district is not None:
            region_code = region_of_district(district.code)
        region = tables.row(Region, region_code)
        if region is not None:
            sources["place_source"] = "text"
    return actor, region, district, sources


@dataclass(frozen=True)
class ModelReading:
    """A model's reading of a complaint's text, with the model that read it (whose threshold routes it)."""

    classifier: Classifier
    classification: Classification


def read_complaint(text: str) -> ModelReading | None:
    """The active model's reading of a complaint's text, before anything is stored (so that no database lock
    is held while the model reads); None without a model or when the model fails (routing then says why)."""
    return read_complaints([text])[0]


def read_complaints(texts: Sequence[str]) -> list[ModelReading | None]:
    """read_complaint for several texts, read together: the model reads a batch for a fraction of what it takes
    to read each text alone."""
    if not texts:
        return []
    try:
        classifier = current_classifier()
        if classifier is None:
            return [None] * len(texts)
        return [ModelReading(classifier, result) for result in classifier.classify_many(texts)]
    except Exception as exc:  # a broken or damaged model must never stop a complaint from being stored
        log.error("classifying complaints failed (%s); routing reads them again", type(exc).__name__)
        return [None] * len(texts)


def _language_reason(language: str | None) -> str | None:
    """Why the classifier must not read a case's text (its detected language), or None when it may. Cases stored
    before detection (NULL) and Latin text too short to tell (UNDETERMINED with letters) are left to the model,
    whose confidence threshold still applies."""
    readable = [code for code in current_app.config.get("CLASSIFIER_LANGUAGES", []) if code in LANGUAGE_NAMES]
    if language is None or language == UNDETERMINED or language in readable:
        return None
    reads = language_list(readable) or "no language"
    return f"written in {language_name(language)}: the classifier reads {reads}; please route by hand"


def _unreadable_reason(case: Case) -> str | None:
    """Why the case goes to triage unread: a language the model was not trained on, or no letters it knows."""
    if case.language == UNDETERMINED:
        script = detect_script(case.text or "")
        if script is None:
            return "no words the classifier can read (only symbols, digits or emoji); please route by hand"
        if script != "latin":
            return "written in a script the classifier cannot read; please route by hand"
    return _language_reason(case.language)


def _plan_route(case: Case, read: ModelReading | None = None) -> RoutePlan:
    unreadable = _unreadable_reason(case)
    if unreadable is not None:
        plan = _triage_plan(unreadable)
        plan.explanation["language"] = case.language
        return plan
    if read is not None:  # the model that read the text routes it (not asked for again)
        classifier, result = read.classifier, read.classification
    else:
        try:
            loaded = current_classifier()
        except ModelLoadError as exc:
            log.error("the active classifier model could not be loaded (%s); the case goes to triage", exc)
            return _triage_plan("the active classifier model could not be loaded; please route by hand")
        if loaded is None:
            return _triage_plan("no classifier model is active")
        classifier, result = loaded, loaded.classify(case.text)
    tables = routing_tables()
    threshold = chosen_threshold(tables.threshold_override, getattr(classifier, "triage_threshold", None))
    theme = tables.row(Theme, result.theme)
    if theme is not None and not theme.active:
        theme = None
    actor, region, district, sources = _places(case, tables, result.actor, result.region, result.district)
    reading = Reading(_code(theme), _code(actor), _code(region), result.confidence)
    if result.theme is not None and theme is None:
        decision = RouteDecision(None, None, f"the model's theme {result.theme} is not an active theme")
    else:
        decision = decide_route(reading, tables.rules, threshold)
    if result.theme is None and result.notes:
        decision = RouteDecision(None, None, f"the classifier could not read the text ({result.notes[0]})")
    body = tables.row(Body, decision.body)
    explanation = explain(decision, Reading(result.theme, reading.actor, reading.region, result.confidence),
                          threshold, result.model_version, result.scores, urgent=result.urgent,
                          urgency_score=result.urgency_score, district=_code(district), **sources)
    if case.language is not None:
        explanation["language"] = case.language
    return RoutePlan(explanation=explanation, body=body, theme=theme, actor=actor, region=region, district=district,
                     confidence=result.confidence, scores=result.scores, model_version=result.model_version,
                     urgent=result.urgent, classified=True)


def _model_threshold() -> float | None:
    try:
        classifier = current_classifier()
    except ModelLoadError:  # a damaged model: the default threshold, as for no model (routing logs the damage)
        return None
    return getattr(classifier, "triage_threshold", None) if classifier is not None else None


def _snapshot(case: Case) -> dict[str, Any]:
    return {"body": _code(case.body), "theme": _code(case.theme), "actor": _code(case.actor),
            "region": _code(case.region), "district": _code(case.district), "urgent": case.urgent}


def _apply_plan(case: Case, plan: RoutePlan) -> None:
    """Write the plan."""
    before = _snapshot(case)
    counted = key_of(case)
    previous_body_id = case.body_id
    _set_plan(case, plan)
    decision = _decision(case, plan, previous_body_id)
    if plan.body is not None:
        db.session.add(CaseEvent(case=case, kind="routed", public=True, created_at=utcnow(),
                                 detail={"body": plan.body.name}))
    db.session.add(RoutingDecision(**decision))
    move_case(counted, case)
    _audit_route(case, plan, before)


def _set_plan(case: Case, plan: RoutePlan) -> None:
    """Set on the case what the plan decides (not its decision, event or audit entry)."""
    if plan.classified:
        case.theme = plan.theme
        case.theme_confidence = min(1.0, max(0.0, plan.confidence or 0.0))
        case.theme_scores = plan.scores
        case.model_version = plan.model_version
        case.actor, case.region, case.district = plan.actor, plan.region, plan.district
        case.urgent = bool(case.urgent or plan.urgent)
    case.body = plan.body
    case.routed_by_hand = False
    case.routing_explanation = plan.explanation
    set_deadlines(case, plan.body, case.created_at or utcnow())


def _decision(case: Case, plan: RoutePlan, previous_body_id: int | None) -> dict[str, Any]:
    return {"case_id": case.id, "kind": DecisionKind.AUTOMATIC, "from_body_id": previous_body_id,
            "to_body_id": plan.body.id if plan.body else None, "model_version": plan.model_version,
            "confidence": plan.confidence}


def _audit_route(case: Case, plan: RoutePlan, before: dict[str, Any]) -> None:
    record_audit(None, "case.route", case, before=before,
                 after={**_snapshot(case), "decision": plan.explanation.get("decision"),
                        "rule": plan.explanation.get("rule"), "model_version": plan.model_version})


_INSERT_DECISION = insert(cast(Table, RoutingDecision.__table__)).values(
    case_id=bindparam("case_id"), kind=bindparam("kind"), from_body_id=bindparam("from_body_id"),
    to_body_id=bindparam("to_body_id"), model_version=bindparam("model_version"),
    confidence=bindparam("confidence"))


def _leave_in_triage(case: Case, case_id: int | None, reason: str) -> None:
    """After a failure: back to the stored case, which waits in the triage queue. Never raises."""
    try:
        db.session.rollback()
        stored = db.session.get(Case, case_id) if case_id is not None else case
        if stored is not None and stored.body_id is None:
            stored.routing_explanation = {"decision": "triage", "body": None, "reason": reason}
    except Exception as exc:  # the database itself is failing; the case is stored, nothing more to do
        log.error("could not note the routing failure on case %s (%s)", case_id, type(exc).__name__)


def route_new_case(case: Case) -> None:
    """Classify a stored case with the active model and send it to a body by the routing rules.

    Sets theme, confidence, all scores, model version, actor, region, district (what the complainant
    chose in the form is kept), urgency, body, deadlines and the routing explanation; records a
    RoutingDecision, a public "routed" event and an audit entry. Below the confidence threshold, with
    no rule that fits, with no active model, or on any failure, the case stays in the triage queue
    (body NULL). Never raises; on a database error the session is rolled back to the stored case.
    """
    # From the identity map: a case committed by the caller is expired, and reading case.id would load it on its
    # own; _routed_already loads it with its lock.
    identity = inspect(case).identity
    case_id = int(identity[0]) if identity else None
    try:
        if case_id is not None and _routed_already(case_id):
            log.info("case %s was routed already; not routed again", case_id)
            return
    except Exception as exc:
        log.error("could not check whether case %s was routed (%s)", case_id, type(exc).__name__)
        _leave_in_triage(case, case_id, f"routing failed ({type(exc).__name__})")
        return
    try:
        plan = _plan_route(case)
    except Exception as exc:
        log.error("classifying case %s failed (%s); it goes to the triage queue", case_id, type(exc).__name__)
        plan = _triage_plan(f"the classifier failed ({type(exc).__name__})")
    try:
        _apply_plan(case, plan)
    except Exception as exc:
        log.error("routing case %s failed (%s); it stays in the triage queue", case_id, type(exc).__name__)
        _leave_in_triage(case, case_id, f"routing failed ({type(exc).__name__})")
        return
    _run_after_routing(case, fresh=False)
    log.info("case %s: %s (rule %s)", case_id, plan.explanation.get("decision"), plan.explanation.get("rule_id"))


def plan_fresh_route(case: Case, reading: ModelReading | None) -> RoutePlan:
    """What write_planned_route will write for a new case, worked out from the model's reading of its text
    (`reading`, read_complaint's; None: read here) before the case is stored: nothing here writes, so no write
    lock is held while it runs. A failure of the classifier plans the triage queue; a lost database connection is
    raised."""
    try:
        return _plan_route(case, reading)
    except Exception as exc:
        if connection_lost(exc):
            raise
        log.error("classifying a new complaint failed (%s); it goes to the triage queue", type(exc).__name__)
        return _triage_plan(f"the classifier failed ({type(exc).__name__})")


def route_fresh_case_step_by_step(case: Case, plan: RoutePlan) -> None:
    """Route a case stored in this transaction, unrouted, by `plan`, in a savepoint, then run each after-routing
    step in a savepoint of its own: a failing step costs only itself, and a failure of routing leaves the case in
    the triage queue with the reason. Never raises for a failure of routing itself (a lost connection is raised)."""
    case_id = case.id
    failure = _in_savepoint(lambda: _apply_plan(case, plan))
    if failure is not None:
        log.error("routing failed for case %s (%s); it stays in the triage queue", case_id, type(failure).__name__)
        case.routing_explanation = {"decision": "triage", "reason": f"routing failed ({type(failure).__name__})"}
        return
    _run_after_routing(case, fresh=True)
    log.info("case %s: %s (rule %s)", case_id, plan.explanation.get("decision"), plan.explanation.get("rule_id"))


@dataclass(frozen=True)
class PlannedRoute:
    """A plan set on a new case before its row is written (plan_into_new_case), and the case as it was before."""

    plan: RoutePlan
    before: dict[str, Any]

    def routed_event(self, case: Case) -> dict[str, Any] | None:
        """The public "routed" event's values once the case has its id (None when it goes to triage), for the
        caller to write with the case's "received" event in one INSERT."""
        body = self.plan.body
        if body is None:
            return None
        return {"case_id": case.id, "kind": "routed", "public": True, "created_at": utcnow(),
                "detail": {"body": body.name}}


def plan_into_new_case(case: Case, plan: RoutePlan) -> PlannedRoute:
    """Set a new case's planned route on it before its row is written, so that the case's own INSERT stores its
    theme, actor, places, body, deadlines and explanation: no UPDATE of the case for routing, and no savepoint on
    the usual path. Once the row is written (and the "routed" event, PlannedRoute.routed_event),
    write_planned_route writes the rest. The caller handles a failure of any of it (see
    intake.operations.receive_complaint: rolled back, stored again, routed by route_fresh_case_step_by_step)."""
    before = _snapshot(case)
    _set_plan(case, plan)
    return PlannedRoute(plan, before)


def write_planned_route(case: Case, route: PlannedRoute) -> None:
    """After the INSERT of a case routed by plan_into_new_case: its routing decision and audit entry, then the
    after-routing steps, all as plain statements in the transaction, with no savepoint: a failure is raised, and
    the caller rolls the transaction back (see plan_into_new_case). A new case is counted where it is at the
    commit: no count to move."""
    db.session.connection().execute(_INSERT_DECISION, _decision(case, route.plan, None))
    _audit_route(case, route.plan, route.before)
    for step in _after_routing:
        step(case, True)
    plan = route.plan
    log.info("case %s: %s (rule %s)", case.id, plan.explanation.get("decision"), plan.explanation.get("rule_id"))


def route_to_body_of(case: Case, original: Case, reason: str) -> None:
    """Route a case stored in this transaction to the body of the case it follows (a report of retaliation
    against the complainant of `original`), without the classifier; recorded as its automatic decision. When
    that body has since closed (or the original never had one), the case waits in the triage queue instead."""
    if original.body is None or not original.body.active:
        _apply_plan(case, RoutePlan(explanation={
            "decision": "triage", "body": None, "model_version": None, "linked_to": original.reference,
            "reason": f"{reason} ({original.reference}); the body that handled it no longer takes cases"}))
        return
    _apply_plan(case, RoutePlan(body=original.body, explanation={
        "decision": "linked", "body": _code(original.body), "reason": reason, "model_version": None,
        "linked_to": original.reference}))


def _routed_already(case_id: int) -> bool:
    """Whether the rules already routed this case (by another process: the crash sweep and the request that
    stored it), in the statement that (re)loads the case. PostgreSQL: the case row stays locked until the caller
    commits, so the second router waits for the first and then sees its decision. SQLite serves one process at
    a time."""
    query = select(Case, automatic_decision_exists(case_id)).where(Case.id == case_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Case)
    row = db.session.execute(query).first()
    if row is None:
        raise LookupError(f"case {case_id} is not stored")
    return bool(row[1])


def claim_never_routed_case(case_id: int) -> Case | None:
    """The case, if routing never saw it, locked for this transaction; None if it was routed meanwhile or
    (PostgreSQL) another process holds it. The caller routes it and commits."""
    query = select(Case).where(Case.id == case_id, never_routed()).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Case)
    return db.session.scalar(query)


def _store_theme_correction(case: Case, user: User, theme: Theme) -> None:
    """The corrected theme becomes a training example; an unused earlier correction of the case is replaced."""
    waiting = db.session.scalar(
        select(LabelledExample).where(LabelledExample.case_id == case.id, LabelledExample.field == "theme",
                                      LabelledExample.used_in_model.is_(None))
    )
    if waiting is None:
        db.session.add(LabelledExample(case_id=case.id, field="theme", user_id=user.id, label=theme.code,
                                       text=case.text))
    else:
        waiting.user_id, waiting.label, waiting.text = user.id, theme.code, case.text


def correct_case(case: Case, user: User, theme: Theme | None | _Keep = KEEP, actor: Actor | None | _Keep = KEEP,
                 region: Region | None | _Keep = KEEP, district: District | None | _Keep = KEEP) -> RouteDecision:
    """Correct what the classifier read (None clears a field, KEEP leaves it) and route by the rules again.
    When no rule fits the corrected reading, a case with a body stays with it (and one in triage stays there).

    A changed theme is stored as a labelled example for the next training run. The staff member's reading
    is trusted: the confidence threshold does not apply. Writes a CaseEvent, a RoutingDecision and an
    audit entry. Case access is checked by the caller; deadlines and status follow in the cases domain.
    """
    before = _snapshot(case)
    theme_changed = not isinstance(theme, _Keep) and _code(theme) != _code(case.theme)
    if not isinstance(theme, _Keep):
        case.theme = theme
    if not isinstance(actor, _Keep):
        case.actor = actor
    if not isinstance(region, _Keep):
        case.region = region
    if not isinstance(district, _Keep):
        case.district = district
    if case.district is not None and case.region is None:
        case.region = case.district.region
    require_district_in_region(case.district, case.region)
    if theme_changed:
        case.theme_confidence = None  # the score was the model's confidence in its own theme
        if case.theme is not None:
            _store_theme_correction(case, user, case.theme)
    threshold = routing_threshold(_model_threshold())
    reading = Reading(_code(case.theme), _code(case.actor), _code(case.region), None)
    decision = decide_route(reading, rule_values(), None)
    if decision.to_triage and case.body is not None:
        # A case in hand is not sent back to nobody: it stays with its body, which can send it on by hand.
        decision = RouteDecision(case.body.code, None, f"{decision.reason}: the case stays with its body")
    previous_body_id = case.body_id
    counted = key_of(case)
    body = _by_code(Body, decision.body)
    case.body = body
    if decision.rule is not None:
        case.routed_by_hand = False
    case.routing_explanation = explain(decision, reading, threshold, case.model_version, case.theme_scores,
                                       corrected_by=user.id, district=_code(case.district))
    after = _snapshot(case)
    db.session.add(CaseEvent(case=case, user_id=user.id, kind="classification_corrected", public=False,
                             created_at=utcnow(), detail={k: after[k] for k in after if after[k] != before[k]}))
    db.session.add(RoutingDecision(case_id=case.id, kind=DecisionKind.CORRECTED, from_body_id=previous_body_id,
                                   to_body_id=body.id if body else None, user_id=user.id))
    move_case(counted, case)
    record_audit(user, "case.correct", case, before=before, after={**after, "rule": case.routing_explanation["rule"]})
    return decision


def override_body(case: Case, user: User, body: Body, reason: str) -> None:
    """Send the case to `body` by hand, whatever the rules say. The reason is required and kept.

    Marks the case routed by hand and records a CaseEvent, a RoutingDecision and an audit entry. Case
    access is checked by the caller; deadlines, status and the complainant's news follow in the cases
    domain.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("Give the reason for sending the case to this body."))
    if len(reason) > REASON_MAX:
        raise DomainError(gettext("The reason is too long: at most %(maximum)s characters.",
                                  maximum=format_number(REASON_MAX)))
    if body is None or not body.active:
        raise DomainError(gettext("Choose an active oversight body."))
    before = _snapshot(case)
    previous_body_id = case.body_id
    previous = dict(case.routing_explanation or {})
    counted = key_of(case)
    case.body = body
    case.routed_by_hand = True
    case.routing_explanation = {
        "decision": "routed by hand", "body": body.code, "reason": reason, "by": user.id,
        "previous_body": before["body"], "rules_said": previous.get("body"),
        "model_version": case.model_version, "theme": _code(case.theme),
    }
    db.session.add(CaseEvent(case=case, user_id=user.id, kind="routed_by_hand", public=False, created_at=utcnow(),
                             detail={"body": body.name, "reason": reason}))
    db.session.add(RoutingDecision(case_id=case.id, kind=DecisionKind.BY_HAND, from_body_id=previous_body_id,
                                   to_body_id=body.id, user_id=user.id))
    move_case(counted, case)
    record_audit(user, "case.override_body", case, before=before, after={"body": body.code, "reason": reason})


# ---------------------------------------------------------------- the case page's routing actions (staff)

def route_case(case: Case, user: User, body: Body | None, reason: str | None) -> None:
    """Send the case to `body` by hand (from triage, or on to another body); the reference stays."""
    require(user, "route", case)
    if body is None or not body.active:
        raise DomainError(gettext("Choose an active oversight body."))
    if body.id == case.body_id:
        raise DomainError(gettext("The case is already with %(body)s.", body=body.local_name))
    reason = check_text(reason, REFERRAL_FIELD, REASON_MAX)
    previous = case.body_id
    override_body(case, user, body, reason)
    settle_after_routing(case, user, previous, reason)


def correct_classification(case: Case, user: User, theme: Theme | None, actor: Actor | None,
                           region: Region | None, district: District | None) -> None:
    """Correct what the classifier read; routing then follows the rules and may move the case."""
    require(user, "correct", case)
    require_district_in_region(district, region)
    if district is not None and region is None:
        region = district.region
    previous = case.body_id
    correct_case(case, user, theme=theme, actor=actor, region=region, district=district)
    settle_after_routing(case, user, previous, "classification corrected")
