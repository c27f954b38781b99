"""Differencing across publications of the early warning: its table of allegations by service and month slides a
month at a time, and the public keeps every publication. A month withheld beside a small one must not be shown in
a later publication while it still counts the same, or the first publication's total, less its shown months and
that month, gives the small one away."""
from __future__ import annotations

import datetime as dt

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation
from civicwatch.taxonomy.models import Actor, Theme
from tests.factories import create_case


def day(month: int, number: int) -> dt.datetime:
    return dt.datetime(2026, month, number, 9, tzinfo=dt.UTC)


def allege(month: int, complaints: int) -> None:
    actor = db.session.query(Actor).filter_by(code="police").one()
    force = db.session.query(Theme).filter_by(code="abuse_of_force").one()
    for number in range(complaints):
        when = day(month, 2 + number)
        case = create_case(CaseStatus.INVESTIGATING, created_at=when)
        db.session.add(Allegation(case=case, theme=force, actor=actor, incident_date=when.date()))
    db.session.commit()


def police_row(client) -> tuple[int | None, dict[str, int | None]]:
    rows = [r for r in client.get("/transparency/early-warning.json").get_json()["rows"]
            if r["indicator"] == "allegations_by_service" and r["place_or_service"] == "Police"]
    months = {r["period"]: r["value"] for r in rows if r["period"] != "all_months"}
    return next(r["value"] for r in rows if r["period"] == "all_months"), months


def test_a_month_withheld_beside_a_small_one_stays_withheld_when_the_table_slides(app, client, clock):
    clock.now = day(3, 20)
    for month, complaints in ((1, 2), (2, 7), (3, 8)):
        allege(month, complaints)
    total, months = police_row(client)
    assert months["2026-01"] is None and months["2026-02"] is None and (total, months["2026-03"]) == (17, 8)

    clock.now = day(4, 20)
    allege(4, 6)
    later_total, later = police_row(client)
    assert (later_total, later["2026-01"], later["2026-03"]) == (23, None, 8)
    # February has ended: its allegations stay as they were. Shown now, with the first publication it gives
    # January's 2 away.
    assert later["2026-02"] is None, (months, later)
    # What the next publication starts from is kept with this one, never shown.
    for path in ("/transparency/early-warning.json", "/transparency/early-warning.csv"):
        assert "protected" not in client.get(path).get_data(as_text=True)
