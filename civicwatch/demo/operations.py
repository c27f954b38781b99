"""Builds demo data: staff for every body and cases spread over twelve months, in every status."""
from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from civicwatch.accounts.models import Role, User, is_community_body
from civicwatch.accounts.operations import create_user
from civicwatch.cases.counts import count_new_case
from civicwatch.cases.deadlines import set_deadlines
from civicwatch.cases.identity import store_contact
from civicwatch.cases.models import Case, CaseEvent, CaseStatus, Channel, Outcome
from civicwatch.cases.reference_numbers import public_reference
from civicwatch.cases.references import (
    new_receipt_code,
    receipt_hash,
    temporary_reference,
)
from civicwatch.database import utcnow
from civicwatch.demo.publications import publish_demo_answers
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.patterns.operations import first_allegation
from civicwatch.routing.models import RoutingRule
from civicwatch.routing.rule_operations import load_routing_rules
from civicwatch.taxonomy.models import Actor, Body, District, Region, Theme
from civicwatch.taxonomy.operations import load_taxonomy
from civicwatch.taxonomy.queries import Coded
from civicwatch.taxonomy.workdays import working_calendar

CORPUS_DIR = Path(__file__).resolve().parent.parent / "classify" / "corpus"

# Demo complainants: invented, and used by tests to prove no public page ever shows them.
DEMO_CONTACTS = [
    {"name": "Aminata Demo-Kamara", "phone": "+23276100001", "email": "aminata.demo@example.org"},
    {"name": "Mohamed Demo-Sesay", "phone": "+23277100002", "email": "mohamed.demo@example.org"},
    {"name": "Fatmata Demo-Conteh", "phone": "+23278100003", "email": "fatmata.demo@example.org"},
]

FALLBACK_TEXTS: list[dict[str, str | None]] = [
    {"text": "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card.",
     "theme": "abuse_of_force", "actor": "military", "region": "eastern", "district": "kenema"},
    {"text": "Police in Makeni have held my husband for nine days without charge and we cannot see him.",
     "theme": "unlawful_detention", "actor": "police", "region": "northern", "district": "bombali"},
    {"text": "Officers at the Lunsar junction take 20,000 leones from every okada rider each morning.",
     "theme": "corruption", "actor": "police", "region": "north_west", "district": "port_loko"},
    {"text": "Our unit's fuel is sold in the market by the transport officer while patrols stay parked.",
     "theme": "misuse_of_resources", "actor": "military", "region": None, "district": None},
    {"text": "The officer at the desk insulted my mother and told her to go home because she is old.",
     "theme": "misconduct", "actor": "police", "region": None, "district": None},
    {"text": "We called the station three times when thieves broke into the shop in Bo and nobody came.",
     "theme": "service_failure", "actor": "police", "region": "southern", "district": "bo"},
    {"text": "Men from the intelligence office came to the radio station and copied the phones of reporters.",
     "theme": "surveillance_privacy", "actor": "intelligence", "region": None, "district": None},
    {"text": "Warders at our prison have not received the risk allowance for seven months.",
     "theme": "personnel_welfare", "actor": "corrections", "region": None, "district": None},
]

# Which status a demo case has reached, by its age against its own deadlines: a plausible, mostly on-time
# service. Young cases wait to be acknowledged, cases within the response window are being investigated,
# older ones are answered; a few are late, as in any real service.
STATUS_MIX_BY_AGE: dict[str, list[tuple[CaseStatus, float]]] = {
    "before_acknowledge_due": [(CaseStatus.RECEIVED, 3), (CaseStatus.TRIAGED, 3), (CaseStatus.ACKNOWLEDGED, 3),
                               (CaseStatus.INVESTIGATING, 1)],
    "before_respond_due": [(CaseStatus.ACKNOWLEDGED, 3), (CaseStatus.INVESTIGATING, 9), (CaseStatus.RESPONDED, 3),
                           (CaseStatus.CLOSED, 3), (CaseStatus.REJECTED, 0.6), (CaseStatus.REFERRED, 0.6),
                           (CaseStatus.WITHDRAWN, 0.4), (CaseStatus.TRIAGED, 0.15)],
    "after_respond_due": [(CaseStatus.CLOSED, 12), (CaseStatus.RESPONDED, 2), (CaseStatus.REJECTED, 1),
                          (CaseStatus.REFERRED, 1), (CaseStatus.WITHDRAWN, 0.7), (CaseStatus.REOPENED, 0.7),
                          (CaseStatus.INVESTIGATING, 0.25), (CaseStatus.ACKNOWLEDGED, 0.05)],
}


DEMO_ADMIN = "admin@example.org"


@dataclass
class DemoSummary:
    created_users: int = 0
    created_cases: int = 0
    published_answers: int = 0
    emails: list[str] = field(default_factory=list)


def demo_examples() -> list[dict]:
    examples: list[dict] = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                examples.append(json.loads(line))
    return examples or FALLBACK_TEXTS


def _ensure_staff(password: str, summary: DemoSummary) -> None:
    wanted: list[tuple[str, str, Role, Body | None]] = [
        (DEMO_ADMIN, "Demo Admin", Role.ADMIN, None),
        ("triage@example.org", "Demo Triage Officer", Role.TRIAGE, None),
        ("auditor@example.org", "Demo Auditor", Role.AUDITOR, None)]
    bodies = list(db.session.scalars(select(Body).order_by(Body.code)))
    for body in bodies:
        wanted.append((f"{body.code}@example.org", f"Investigator, {body.name}", Role.INVESTIGATOR, body))
    committee = next((body for body in bodies if is_community_body(body)), None)
    if committee is not None:  # enters walk-in and phone complaints, and sees nothing else
        wanted.append(("committee@example.org", f"Committee member, {committee.name}", Role.COMMUNITY, committee))
    for email, name, role, home_body in wanted:
        summary.emails.append(email)
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            create_user(email, name, role, password, body=home_body)
            summary.created_users += 1


def _route(theme: Theme, actor: Actor | None, region: Region | None) -> Body | None:
    for rule in db.session.scalars(select(RoutingRule).where(RoutingRule.active.is_(True)).order_by(RoutingRule.priority)):
        if rule.theme_id != theme.id:
            continue
        if rule.actor_id is not None and (actor is None or rule.actor_id != actor.id):
            continue
        if rule.region_id is not None and (region is None or rule.region_id != region.id):
            continue
        return rule.body
    return None


def _rows_by_code(model: type[Coded]) -> dict[str, Coded]:
    return {row.code: row for row in db.session.scalars(select(model))}


def _lookup(rows: dict[str, Coded], code: str | None) -> Coded | None:
    return rows.get(code) if code else None


def _window(due: dt.datetime | None, created: dt.datetime) -> dt.timedelta:
    return (due - created) if due is not None else dt.timedelta(0)


def _pick_status(case: Case, body: Body, created: dt.datetime, now: dt.datetime, rng: random.Random) -> CaseStatus:
    age = now - created
    if age < _window(case.acknowledge_due_at, created) * 0.9:
        stage = "before_acknowledge_due"
    elif age < _window(case.respond_due_at, created) * 0.9:
        stage = "before_respond_due"
    else:
        stage = "after_respond_due"
    mix = STATUS_MIX_BY_AGE[stage]
    return rng.choices([status for status, _ in mix], weights=[weight for _, weight in mix])[0]


def _step_hours(step: CaseStatus, rng: random.Random, respond_within: dt.timedelta) -> int:
    """How long a demo case takes to reach `step` from the one before: most bodies meet their deadlines."""
    if step is CaseStatus.RESPONDED:
        late = rng.random() < 0.1
        hours = respond_within.total_seconds() / 3600
        return rng.randint(48, max(49, int(hours * (1.2 if late else 0.8))))
    if step is CaseStatus.TRIAGED:
        return rng.randint(1, 12)
    return rng.randint(2, 96) if rng.random() < 0.1 else rng.randint(2, 40)


def _advance(case: Case, status: CaseStatus, created: dt.datetime, rng: random.Random, now: dt.datetime) -> None:
    """Fill timestamps consistent with how far the case got, and its public timeline."""
    path = [CaseStatus.RECEIVED]
    reached = {CaseStatus.TRIAGED: 1, CaseStatus.ACKNOWLEDGED: 2, CaseStatus.INVESTIGATING: 3,
               CaseStatus.RESPONDED: 4, CaseStatus.CLOSED: 5, CaseStatus.REOPENED: 5}.get(status, 1)
    order = [CaseStatus.TRIAGED, CaseStatus.ACKNOWLEDGED, CaseStatus.INVESTIGATING, CaseStatus.RESPONDED,
             CaseStatus.CLOSED]
    path += order[:reached] if status not in (CaseStatus.REJECTED, CaseStatus.REFERRED, CaseStatus.WITHDRAWN) else [
        CaseStatus.TRIAGED]
    if status in (CaseStatus.REJECTED, CaseStatus.REFERRED, CaseStatus.WITHDRAWN, CaseStatus.REOPENED):
        path.append(status)
    moment = created
    for previous, current in zip(path, path[1:], strict=False):
        moment = min(now, moment + dt.timedelta(hours=_step_hours(current, rng, _window(case.respond_due_at, created))))
        case.events.append(CaseEvent(kind="status", from_status=previous.value, to_status=current.value,
                                     created_at=moment, public=True))
        if current is CaseStatus.ACKNOWLEDGED:
            case.acknowledged_at = moment
        elif current is CaseStatus.RESPONDED:
            case.responded_at = moment
        elif current is CaseStatus.CLOSED:
            case.closed_at = moment
    if status in (CaseStatus.REJECTED, CaseStatus.WITHDRAWN):
        case.closed_at = moment
        case.status_reason = "Outside the mandate of this body." if status is CaseStatus.REJECTED else \
            "Withdrawn at the complainant's request."
    if case.responded_at:
        case.outcome = rng.choice(list(Outcome))
        case.findings = "Demo findings recorded by the investigator."
        case.satisfaction = rng.choice([None, 1, 2, 3, 4, 4, 5, 5])
    case.status = status


def refuse_a_live_database() -> None:
    """The demo writes only to an empty database or to one it wrote before (its admin account is there): staff or
    cases without it are a live deployment reached by mistake (development reads DATABASE_URL too)."""
    if db.session.scalar(select(User.id).where(User.email == DEMO_ADMIN)) is not None:
        return
    if db.session.scalar(select(User.id).limit(1)) is not None or \
            db.session.scalar(select(Case.id).limit(1)) is not None:
        raise DomainError(f"This database holds staff accounts or cases but no {DEMO_ADMIN} account: it is not a "
                          "demo database, and the demo writes nothing to it.")


def build_demo(password: str, case_count: int, seed: int,
               progress: Callable[[int], None] = lambda n: None) -> DemoSummary:
    """Raises DomainError, before writing anything, on a database the demo did not write (refuse_a_live_database)."""
    refuse_a_live_database()
    summary = DemoSummary()
    first_load = db.session.scalar(select(func.count()).select_from(Theme)) == 0
    load_taxonomy()
    load_routing_rules(replace=first_load)  # a second run keeps rules the admins edited
    _ensure_staff(password, summary)
    existing = db.session.scalar(select(func.count()).select_from(Case)) or 0
    rng = random.Random(seed + existing)
    themes, actors, regions, districts = (
        _rows_by_code(Theme), _rows_by_code(Actor), _rows_by_code(Region), _rows_by_code(District))
    examples = demo_examples()
    now = utcnow()
    calendar = working_calendar(now - dt.timedelta(days=366))  # one holidays query for every demo case
    created_cases: list[Case] = []
    for _i in range(max(0, case_count - existing)):
        example = rng.choice(examples)
        created = now - dt.timedelta(days=rng.uniform(0, 365), hours=rng.uniform(0, 24))
        low_confidence = rng.random() < 0.08
        if low_confidence:  # the triage queue is worked daily: what waits there arrived in the last two days
            created = now - dt.timedelta(hours=rng.uniform(0.5, 44))
        theme = _lookup(themes, example.get("theme"))
        actor = _lookup(actors, example.get("actor"))
        region = _lookup(regions, example.get("region"))
        district = _lookup(districts, example.get("district"))
        body = None if low_confidence or theme is None else _route(theme, actor, region)
        case = Case(
            reference=temporary_reference(), receipt_hash=receipt_hash(new_receipt_code()), text=example["text"],
            channel=Channel.SMS if example.get("channel") == "sms" else Channel.WEB,
            theme=theme, theme_confidence=round(rng.uniform(0.3, 0.45) if low_confidence else rng.uniform(0.6, 0.99), 3),
            model_version="demo", actor=actor, region=region, district=district,
            urgent=bool(example.get("urgent")), body=body, created_at=created,
            routing_explanation={"rule": "demo data", "body": body.code if body else None},
        )
        if rng.random() < 0.3:
            contact = rng.choice(DEMO_CONTACTS)
            store_contact(case, {"phone": contact["phone"], "email": contact["email"], "name": contact["name"]})
        set_deadlines(case, body, created, calendar)
        db.session.add(case)
        db.session.flush()
        case.reference = public_reference(created.year, case.id)
        status = CaseStatus.RECEIVED if body is None else _pick_status(case, body, created, now, rng)
        _advance(case, status, created, rng, now)
        count_new_case(case)
        if theme is not None:
            first_allegation(case)  # as routing gives every new case: the patterns and early-warning figures use them
        created_cases.append(case)
        summary.created_cases += 1
        progress(1)
    db.session.flush()
    summary.published_answers = publish_demo_answers(created_cases, rng)
    return summary
