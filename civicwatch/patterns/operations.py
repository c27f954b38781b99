"""Writing allegations. Operations flush but never commit; each change writes its audit entry."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import Case, Outcome
from civicwatch.cases.permissions import require
from civicwatch.database import utcnow
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation
from civicwatch.taxonomy.models import Actor, District, Region, Theme
from civicwatch.text import check_text

VICTIM_MAX = 500
LOCATION_MAX = 500
REMEDY_MAX = 20000
ALLEGATIONS_PER_CASE = 50


@dataclass
class AllegationFields:
    """What staff give for one allegation; None leaves a field unknown."""

    theme: Theme | None
    victim: str | None
    actor: Actor | None
    region: Region | None
    district: District | None
    location_text: str | None
    incident_date: dt.date | None
    finding: Outcome | None
    remedy: str | None


def snapshot(allegation: Allegation) -> dict[str, Any]:
    """What the audit log keeps of an allegation (free text only as a fingerprint)."""
    return {
        "theme": allegation.theme.code if allegation.theme else None,
        "victim": allegation.victim, "actor": allegation.actor.code if allegation.actor else None,
        "region": allegation.region.code if allegation.region else None,
        "district": allegation.district.code if allegation.district else None,
        "location": allegation.location_text, "incident_date": allegation.incident_date,
        "finding": allegation.finding.value if allegation.finding else None, "remedy": allegation.remedy,
    }


def _apply(allegation: Allegation, fields: AllegationFields) -> None:
    district, region = fields.district, fields.region
    if district is not None and region is None:
        region = district.region
    if district is not None and region is not None and district.region_id != region.id:
        raise DomainError(f"{district.name} is not in {region.name}.")
    if fields.incident_date is not None and fields.incident_date > utcnow().date() + dt.timedelta(days=1):
        raise DomainError("The date of the incident cannot be in the future.")
    allegation.theme, allegation.actor = fields.theme, fields.actor
    allegation.region, allegation.district = region, district
    allegation.victim = check_text(fields.victim, "description of the victim", VICTIM_MAX, required=False) or None
    allegation.location_text = check_text(fields.location_text, "place", LOCATION_MAX, required=False) or None
    allegation.remedy = check_text(fields.remedy, "remedy", REMEDY_MAX, required=False) or None
    allegation.incident_date, allegation.finding = fields.incident_date, fields.finding


def _touch(case: Case) -> None:
    # A change to an allegation is a change of the case (and bumps its version).
    case.updated_at = utcnow()


def add_allegation(case: Case, user: User, fields: AllegationFields) -> Allegation:
    """Add an allegation to a case the user may change."""
    require(user, "allegation", case)
    count = db.session.scalar(select(func.count(Allegation.id)).where(Allegation.case_id == case.id)) or 0
    if count >= ALLEGATIONS_PER_CASE:
        raise DomainError(f"A case holds at most {ALLEGATIONS_PER_CASE} allegations.")
    allegation = Allegation(case=case)
    _apply(allegation, fields)
    db.session.add(allegation)
    _touch(case)
    db.session.flush()
    record_audit(user, "allegation.add", allegation, case=case, after=snapshot(allegation))
    return allegation


def update_allegation(case: Case, user: User, allegation: Allegation, fields: AllegationFields) -> None:
    """Change an allegation of a case the user may change."""
    require(user, "allegation", case)
    if allegation.case_id != case.id:
        raise DomainError("That allegation belongs to another case.")
    before = snapshot(allegation)
    _apply(allegation, fields)
    _touch(case)
    db.session.flush()
    record_audit(user, "allegation.update", allegation, case=case, before=before, after=snapshot(allegation))


def first_allegation(case: Case) -> Allegation | None:
    """A new case's allegation, read from what the classifier and the complainant gave; None if it has one."""
    if db.session.scalar(select(Allegation.id).where(Allegation.case_id == case.id).limit(1)) is not None:
        return None
    allegation = Allegation(case=case, theme=case.theme, actor=case.actor, region=case.region,
                            district=case.district, location_text=case.location_text,
                            incident_date=case.incident_date or (case.created_at or utcnow()).date())
    db.session.add(allegation)
    db.session.flush()
    record_audit(None, "allegation.add", allegation, case=case, after=snapshot(allegation))
    return allegation


def start_allegations(case: Case) -> None:
    """After a new case is routed: its first allegation, from what was read of it."""
    first_allegation(case)
