"""The "early warning" section of /transparency and its open data: hotspots, allegations by service, units and
posts most named; every count through the small-count protection, officers never."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation, Subject, SubjectKind
from civicwatch.taxonomy.models import Actor, Body, District, Theme
from tests.factories import create_case


def row(model, code: str):
    return db.session.query(model).filter_by(code=code).one()


@pytest.fixture
def allegations(app, clock):
    """Bo: 7 allegations of force (6 against a post, and an officer named in 6 of them too, 7 against him in
    all), Kenema: 2 of corruption; the police named in all; one allegation of force in Bo 100 days ago."""
    police = row(Body, "police_oversight")
    post = Subject(body=police, kind=SubjectKind.POST, name="Bo Junction checkpoint")
    officer = Subject(body=police, kind=SubjectKind.OFFICER, name="Sergeant Zorblax Kamara")
    quiet = Subject(body=police, kind=SubjectKind.UNIT, name="Quiet Valley Unit")
    db.session.add_all([post, officer, quiet])
    bo, kenema = row(District, "bo"), row(District, "kenema")
    force, corruption, actor = row(Theme, "abuse_of_force"), row(Theme, "corruption"), row(Actor, "police")
    plan = [(bo, force, post, 1)] * 6 + [(bo, force, officer, 2), (kenema, corruption, officer, 3),
                                         (kenema, corruption, quiet, 4), (bo, force, officer, 100)]
    plan += [(None, force, officer, 5)] * 5
    for district, theme, subject, days_ago in plan:
        when = clock.now - dt.timedelta(days=days_ago)
        case = create_case(CaseStatus.INVESTIGATING, created_at=when)
        db.session.add(Allegation(case=case, theme=theme, actor=actor, district=district, subject=subject,
                                  region=district.region if district else None, incident_date=when.date()))
    db.session.commit()


def test_the_transparency_page_shows_hotspots_and_trends_without_small_counts_or_officers(client, allegations):
    page = client.get("/transparency").get_data(as_text=True)
    section = page[page.index('id="early-warning"'):]
    section = section[:section.index("</section>")]
    assert "<td>Bo</td><td>Abuse of force</td><td>7</td><td>fewer than 5</td>" in section
    assert "Kenema" not in section  # 2 allegations: too few to show as a hotspot
    # A unit or post is named for the complaints behind its allegations, and the page says so.
    assert "Bo Junction checkpoint (post): named in at least 5 complaints" in section
    assert "allegations against them in at least 5 complaints" in section
    assert "Zorblax" not in page and "Sergeant" not in page  # an officer, whatever his count
    assert "Quiet Valley Unit" not in page  # a unit below the threshold


def test_the_open_data_has_the_same_protected_figures_and_no_officer(client, allegations):
    csv_text = client.get("/transparency/early-warning.csv").get_data(as_text=True)
    data = json.loads(client.get("/transparency/early-warning.json").get_data(as_text=True))
    assert "Zorblax" not in csv_text and "Zorblax" not in json.dumps(data)
    assert "Quiet Valley" not in csv_text
    rows = data["rows"]
    hotspot = [r for r in rows if r["indicator"] == "hotspot" and r["period"] == "last_90_days"]
    assert [(r["place_or_service"], r["value"]) for r in hotspot] == [("Bo", 7)]
    shown = [r["value"] for r in rows if r["value"] is not None]
    assert all(value == 0 or value >= 5 for value in shown), shown  # no count from 1 to 4 anywhere
    notes = {r["not_shown"] for r in rows if r["value"] is None}
    assert notes <= {"fewer than 5", "withheld", "at least 5"}
    service = [r for r in rows if r["indicator"] == "allegations_by_service" and r["period"] == "all_months"]
    assert [(r["place_or_service"], r["value"]) for r in service if r["value"] is not None] == [("Police", 15)]
    assert {r["not_shown"] for r in service if r["place_or_service"] != "Police"} == {"fewer than 5"}
    months = {r["period"]: (r["value"], r["not_shown"]) for r in rows
              if r["indicator"] == "allegations_by_service" and r["place_or_service"] == "Police"}
    # December's 1 is small; March's 14 is withheld too, or 15 - 14 would give the 1 away.
    assert months["2025-12"] == (None, "fewer than 5") and months["2026-03"] == (None, "withheld")


def test_a_lone_small_month_cannot_be_worked_out_from_the_total(client, app, clock):
    actor, force = row(Actor, "police"), row(Theme, "abuse_of_force")
    for days_ago in [1] * 6 + [20] * 2:  # this month 6, last month 2: the total would give the 2 away
        when = clock.now - dt.timedelta(days=days_ago)
        case = create_case(CaseStatus.INVESTIGATING, created_at=when)
        db.session.add(Allegation(case=case, theme=force, actor=actor, incident_date=when.date()))
    db.session.commit()
    data = json.loads(client.get("/transparency/early-warning.json").get_data(as_text=True))
    values = {r["period"]: r["value"] for r in data["rows"]
              if r["indicator"] == "allegations_by_service" and r["place_or_service"] == "Police"}
    assert values["2026-02"] is None and (values["2026-03"] is None or values["all_months"] is None)


def _service_rows(data: dict) -> dict[str, list[tuple]]:
    rows: dict[str, list[tuple]] = {}
    for r in data["rows"]:
        if r["indicator"] == "allegations_by_service":
            rows.setdefault(r["place_or_service"], []).append((r["period"], r["value"], r["not_shown"]))
    return rows


def test_a_service_with_one_allegation_reads_the_same_as_a_service_with_none(client, clock):
    """The one complaint against the intelligence service in months: a table that listed only the services with
    allegations would say, by the row itself, that someone complained about them, however its counts read."""
    when = clock.now - dt.timedelta(days=3)
    case = create_case(CaseStatus.INVESTIGATING, created_at=when)
    db.session.add(Allegation(case=case, theme=row(Theme, "abuse_of_force"), actor=row(Actor, "intelligence"),
                              incident_date=when.date()))
    db.session.commit()
    services = _service_rows(json.loads(client.get("/transparency/early-warning.json").get_data(as_text=True)))
    assert set(services) == {actor.name for actor in db.session.query(Actor)}
    assert services["Intelligence services"] == services["Prison service"] == services["Police"]
    page = client.get("/transparency").get_data(as_text=True)
    assert "No allegation in these months." not in page


def test_no_allegation_at_all_reads_like_a_few(client):
    """Without any allegation the table is there all the same, every count "fewer than 5": its absence would tell
    that nobody complained, and its presence that someone did."""
    services = _service_rows(json.loads(client.get("/transparency/early-warning.json").get_data(as_text=True)))
    assert set(services) == {actor.name for actor in db.session.query(Actor)}
    assert {value for rows in services.values() for _, value, _ in rows} == {None}
    assert {note for rows in services.values() for _, _, note in rows} == {"fewer than 5"}


def test_a_hotspot_s_quiet_past_reads_the_same_with_none_or_a_few(client, clock):
    """Bo had 1 allegation of force in the 90 days before the last 90, Kenema none of corruption: printing the
    0 would make Bo's "fewer than 5" say that someone there complained back then."""
    force, corruption, police = row(Theme, "abuse_of_force"), row(Theme, "corruption"), row(Actor, "police")
    plan = [("bo", force, 2)] * 6 + [("bo", force, 100)] + [("kenema", corruption, 2)] * 6
    for district, theme, days_ago in plan:
        when = clock.now - dt.timedelta(days=days_ago)
        case = create_case(CaseStatus.INVESTIGATING, created_at=when)
        db.session.add(Allegation(case=case, theme=theme, actor=police, district=row(District, district),
                                  incident_date=when.date()))
    db.session.commit()
    data = json.loads(client.get("/transparency/early-warning.json").get_data(as_text=True))
    before = {r["place_or_service"]: (r["value"], r["not_shown"]) for r in data["rows"]
              if r["indicator"] == "hotspot" and r["period"] == "previous_90_days"}
    assert before == {"Bo": (None, "fewer than 5"), "Kenema": (None, "fewer than 5")}


def test_one_complaint_with_many_allegations_names_no_post_and_makes_no_hotspot(client, clock):
    """A single complainant recorded six allegations against one checkpoint in Bo this week (a case holds up to 50).
    Counted by allegation, that one person passed every threshold: the post was named in public, Bo was a hotspot
    of 6 and the police's month read 6, telling the checkpoint that someone complained about it. The threshold
    is about people: a figure resting on fewer than 5 complaints is not shown, however many allegations they
    hold."""
    police = row(Body, "police_oversight")
    post = Subject(body=police, kind=SubjectKind.POST, name="Ferry Road checkpoint")
    db.session.add(post)
    when = clock.now - dt.timedelta(days=2)
    case = create_case(CaseStatus.INVESTIGATING, created_at=when)
    bo = row(District, "bo")
    for _ in range(6):
        db.session.add(Allegation(case=case, theme=row(Theme, "abuse_of_force"), actor=row(Actor, "police"),
                                  district=bo, region=bo.region, subject=post, incident_date=when.date()))
    db.session.commit()
    page = client.get("/transparency").get_data(as_text=True)
    csv_text = client.get("/transparency/early-warning.csv").get_data(as_text=True)
    data = json.loads(client.get("/transparency/early-warning.json").get_data(as_text=True))
    for published in (page, csv_text, json.dumps(data)):
        assert "Ferry Road" not in published
    assert [r for r in data["rows"] if r["indicator"] == "hotspot"] == []
    police_rows = [r for r in data["rows"] if r["indicator"] == "allegations_by_service"
                   and r["place_or_service"] == "Police"]
    assert {(r["value"], r["not_shown"]) for r in police_rows} == {(None, "fewer than 5")}


def test_allegations_of_five_complaints_are_shown_as_allegations(client, clock):
    """Five complaints, one with three allegations: the figures count the seven allegations, as the page says."""
    police = row(Body, "police_oversight")
    post = Subject(body=police, kind=SubjectKind.POST, name="Ferry Road checkpoint")
    db.session.add(post)
    when = clock.now - dt.timedelta(days=2)
    bo = row(District, "bo")
    for allegations in (3, 1, 1, 1, 1):
        case = create_case(CaseStatus.INVESTIGATING, created_at=when)
        for _ in range(allegations):
            db.session.add(Allegation(case=case, theme=row(Theme, "abuse_of_force"), actor=row(Actor, "police"),
                                      district=bo, region=bo.region, subject=post, incident_date=when.date()))
    db.session.commit()
    data = json.loads(client.get("/transparency/early-warning.json").get_data(as_text=True))
    hotspot = [(r["place_or_service"], r["period"], r["value"]) for r in data["rows"] if r["indicator"] == "hotspot"]
    assert ("Bo", "last_90_days", 7) in hotspot
    assert [r["place_or_service"] for r in data["rows"] if r["indicator"] == "named_unit_or_post"] == [
        "Ferry Road checkpoint"]
    police = {r["period"]: r["value"] for r in data["rows"] if r["indicator"] == "allegations_by_service"
              and r["place_or_service"] == "Police"}
    assert police[when.strftime("%Y-%m")] == 7 and police["all_months"] == 7
