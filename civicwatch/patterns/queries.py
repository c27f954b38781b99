"""Reading allegations. Access to the case is checked by the caller (cases.permissions.load_case)."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation


def allegations_of(case: Case) -> list[Allegation]:
    return list(db.session.scalars(select(Allegation).where(Allegation.case_id == case.id).order_by(Allegation.id)))


def allegation_of(case: Case, allegation_id: int) -> Allegation | None:
    """The allegation if it belongs to this case."""
    return db.session.scalar(select(Allegation).where(Allegation.id == allegation_id, Allegation.case_id == case.id))
