"""The places and services a report names, read from the taxonomy as each process keeps it: a district added or
moved to another region since the last report is what the next report stores, and an unknown one is refused."""
from __future__ import annotations

from html import unescape

from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.taxonomy.models import District, Region
from tests.intake.conftest import post_report


def latest_case() -> Case:
    db.session.expire_all()
    return db.session.scalars(select(Case).order_by(Case.id.desc()).limit(1)).one()


def test_a_district_added_or_moved_is_seen_by_the_next_report(client):
    assert post_report(client, area="district:kenema", reported_actor="police").status_code == 303
    case = latest_case()
    assert (case.region.code, case.district.code, case.actor.code) == ("eastern", "kenema", "police")

    refused = post_report(client, area="district:tongo_field")
    assert refused.status_code == 400 and "Choose a district from the list." in unescape(refused.get_data(as_text=True))

    eastern = db.session.scalar(select(Region).where(Region.code == "eastern"))
    db.session.add(District(code="tongo_field", name="Tongo Field", region=eastern))
    db.session.commit()
    assert post_report(client, area="district:tongo_field").status_code == 303
    assert (latest_case().region.code, latest_case().district.code) == ("eastern", "tongo_field")

    other = db.session.scalar(select(Region).where(Region.code != "eastern").order_by(Region.code).limit(1))
    db.session.scalar(select(District).where(District.code == "tongo_field")).region = other
    db.session.commit()
    assert post_report(client, area="district:tongo_field").status_code == 303
    assert (latest_case().region.code, latest_case().district.code) == (other.code, "tongo_field")

    refused = post_report(client, area="region:atlantis")
    assert refused.status_code == 400 and "Choose a region from the list." in unescape(refused.get_data(as_text=True))
