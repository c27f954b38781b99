"""Stored cases follow a district that a taxonomy file moves to another region."""
from __future__ import annotations

from sqlalchemy import update

from civicwatch.cases.models import Case
from civicwatch.database import utcnow
from civicwatch.extensions import db


def move_district_cases(district_id: int, region_id: int) -> int:
    """Put the district's cases in `region_id`; how many moved. Each is changed as any change of a case is
    (`updated_at`, so the statistics recompute its month; `version`, so a staff form open on it is stale)."""
    moved = db.session.execute(
        update(Case).where(Case.district_id == district_id, Case.region_id.is_distinct_from(region_id))
        .values(region_id=region_id, updated_at=utcnow(), version=Case.version + 1)
        .execution_options(synchronize_session=False))
    return int(moved.rowcount or 0)  # type: ignore[attr-defined]
