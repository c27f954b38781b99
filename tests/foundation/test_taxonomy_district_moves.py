"""A taxonomy file that moves a district to another region (a redrawn map) moves the stored cases and allegations
of that district with it: otherwise staff filtering by the new region miss them, the public statistics count them
in a region the district no longer belongs to, and a case's district and region disagree."""
from __future__ import annotations

import json

from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation
from civicwatch.taxonomy.models import District, Region
from civicwatch.taxonomy.operations import DEFAULT_TAXONOMY
from tests.factories import create_case


def moved_taxonomy(tmp_path, district: str, to_region: str):
    data = json.loads(DEFAULT_TAXONOMY.read_text())
    entry = None
    for region in data["regions"]:
        for d in list(region["districts"]):
            if d["code"] == district:
                region["districts"].remove(d)
                entry = d
    next(r for r in data["regions"] if r["code"] == to_region)["districts"].append(entry)
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(data))
    return path


def test_moving_a_district_moves_its_cases_and_allegations(app, tmp_path, clock):
    bo = db.session.scalars(select(District).filter_by(code="bo")).one()
    in_bo = create_case(CaseStatus.INVESTIGATING, region="southern", district_id=bo.id)
    elsewhere = create_case(CaseStatus.INVESTIGATING, region="southern")
    db.session.add(Allegation(case=in_bo, district=bo, region=bo.region))
    db.session.commit()
    version, stamped = in_bo.version, in_bo.updated_at
    clock.advance(minutes=5)

    result = app.test_cli_runner().invoke(
        args=["civicwatch", "load-taxonomy", "--file", str(moved_taxonomy(tmp_path, "bo", "eastern"))])

    assert result.exit_code == 0, result.output
    assert "Moved 1 case and 1 allegation of district bo from region southern to eastern." in result.output
    db.session.expire_all()
    eastern = db.session.scalars(select(Region).filter_by(code="eastern")).one()
    case = db.session.get(Case, in_bo.id)
    assert case.region_id == eastern.id
    # Changed as any change of a case is: the statistics recompute its month, a staff form open on it is stale.
    assert case.version == version + 1 and case.updated_at > stamped
    assert db.session.scalars(select(Allegation.region_id)).all() == [eastern.id]
    assert db.session.get(Case, elsewhere.id).region.code == "southern"
    entry = db.session.scalars(select(AuditEntry).filter_by(action="taxonomy.districts_moved")).one()
    assert entry.after == {"bo": {"from": "southern", "to": "eastern", "cases": 1, "allegations": 1}}


def test_loading_the_same_file_again_moves_nothing(app, tmp_path, clock):
    bo = db.session.scalars(select(District).filter_by(code="bo")).one()
    create_case(CaseStatus.INVESTIGATING, region="southern", district_id=bo.id)
    path = moved_taxonomy(tmp_path, "bo", "eastern")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["civicwatch", "load-taxonomy", "--file", str(path)]).exit_code == 0
    again = runner.invoke(args=["civicwatch", "load-taxonomy", "--file", str(path)])
    assert again.exit_code == 0 and "Moved" not in again.output
    assert len(db.session.scalars(select(AuditEntry).filter_by(action="taxonomy.districts_moved")).all()) == 1
