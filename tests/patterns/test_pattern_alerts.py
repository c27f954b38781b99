"""Pattern alerts: thresholds table-driven on a fixed clock, raised once by the worker and grown after, visible to
the bodies concerned only, with their own audited workflow."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns.detection import find_clusters, rules_from_config
from civicwatch.patterns.models import (
    AlertStatus,
    Allegation,
    LinkStatus,
    PatternAlert,
    Subject,
    SubjectKind,
    SubjectLink,
)
from civicwatch.taxonomy.models import Body, District, Theme
from tests.conftest import csrf_token
from tests.factories import create_case

FORCE = {"code": "force_by_subject", "kind": "subject", "theme": "abuse_of_force", "min_count": 3, "window_days": 90}
SURGE = {"code": "place_surge", "kind": "place", "factor": 2.0, "min_count": 5, "window_days": 30,
         "baseline_windows": 3}


@pytest.fixture
def app_config(app_config):
    app_config["PATTERN_RULES"] = (FORCE, SURGE)
    return app_config


def theme(code: str) -> Theme:
    return db.session.query(Theme).filter_by(code=code).one()


def make_subject(body: str = "police_oversight", name: str = "Bo Junction checkpoint") -> Subject:
    subject = Subject(body=db.session.query(Body).filter_by(code=body).one(), kind=SubjectKind.POST, name=name)
    db.session.add(subject)
    db.session.commit()
    return subject


def allege(subject: Subject, now: dt.datetime, days_ago: int, act: str = "abuse_of_force", how: str = "allegation",
           body: str = "police_oversight") -> Allegation:
    """A case whose one allegation names the subject: on the allegation itself, or through a link of the case."""
    when = now - dt.timedelta(days=days_ago)
    case = create_case(CaseStatus.INVESTIGATING, body=body, theme=act, created_at=when)
    allegation = Allegation(case=case, theme=theme(act), incident_date=when.date(),
                            subject=subject if how == "allegation" else None)
    db.session.add(allegation)
    if how != "allegation":
        db.session.add(SubjectLink(case=case, subject=subject, status=LinkStatus(how)))
    db.session.commit()
    return allegation


@dataclass(frozen=True)
class SubjectRow:
    name: str
    events: tuple[tuple[int, str, str], ...]  # (days ago, theme, how the subject is named)
    expected: int | None  # the alert's count, None: no alert


F, C = "abuse_of_force", "corruption"
SUBJECT_ROWS = [
    SubjectRow("three in the window", ((1, F, "allegation"), (30, F, "allegation"), (89, F, "allegation")), 3),
    SubjectRow("one just outside", ((1, F, "allegation"), (30, F, "allegation"), (90, F, "allegation")), None),
    SubjectRow("two only", ((1, F, "allegation"), (2, F, "allegation")), None),
    SubjectRow("another act", ((1, F, "allegation"), (2, F, "allegation"), (3, C, "allegation")), None),
    SubjectRow("by proposed links", ((1, F, "proposed"), (2, F, "confirmed"), (3, F, "allegation")), 3),
    SubjectRow("a rejected link", ((1, F, "proposed"), (2, F, "rejected"), (3, F, "allegation")), None),
    SubjectRow("four", ((0, F, "allegation"),) * 4, 4),
]


@pytest.mark.parametrize("row", SUBJECT_ROWS, ids=lambda r: r.name)
def test_subject_threshold(app, clock, row):
    subject = make_subject()
    for days_ago, act, how in row.events:
        allege(subject, clock.now, days_ago, act, how)
    clusters = find_clusters(rules_from_config([FORCE]), clock.now)
    assert [c.count for c in clusters] == ([row.expected] if row.expected else [])
    if clusters:
        assert clusters[0].key == f"subject:{subject.id}" and len(clusters[0].evidence) == row.expected


@dataclass(frozen=True)
class PlaceRow:
    name: str
    current: int  # cases of the last 30 days
    before: int  # cases of the 90 days before
    expected: bool


PLACE_ROWS = [
    PlaceRow("doubled", 6, 6, True),  # 6 against an average of 2
    PlaceRow("not doubled", 6, 12, False),  # 6 against 4
    PlaceRow("exactly doubled", 8, 12, True),
    PlaceRow("too few to say", 4, 0, False),
    PlaceRow("new hotspot", 5, 0, True),
]


@pytest.mark.parametrize("row", PLACE_ROWS, ids=lambda r: r.name)
def test_place_threshold(app, clock, row):
    bo = db.session.query(District).filter_by(code="bo").one()
    days = [1 + 29 * i // max(row.current, 1) for i in range(row.current)]
    days += [31 + 88 * i // max(row.before, 1) for i in range(row.before)]
    for days_ago in days:
        create_case(CaseStatus.RECEIVED, district=bo, created_at=clock.now - dt.timedelta(days=days_ago))
    create_case(CaseStatus.RECEIVED, district=bo, created_at=clock.now - dt.timedelta(days=200))  # long before
    clusters = find_clusters(rules_from_config([SURGE]), clock.now)
    assert [(c.key, c.count) for c in clusters] == ([(f"district:{bo.id}", row.current)] if row.expected else [])


def test_bad_rules_are_named():
    with pytest.raises(ValueError, match="'x'"):
        rules_from_config([{"code": "x", "kind": "subject", "min_count": 3, "window_days": 90}])
    with pytest.raises(ValueError, match="'y'"):
        rules_from_config([{"code": "y", "kind": "place", "min_count": "many", "window_days": 30}])


def detect(app) -> str:
    result = app.test_cli_runner().invoke(args=["civicwatch", "patterns", "detect"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_worker_raises_an_alert_once_and_grows_it(app, clock):
    subject = make_subject()
    for days_ago in (1, 2):
        allege(subject, clock.now, days_ago)
    allege(subject, clock.now, 3)
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "Pattern alerts: 1 raised, 0 updated." in result.output
    assert "0 raised, 0 updated" in detect(app)
    [alert] = db.session.scalars(select(PatternAlert)).all()
    assert alert.count == 3 and len(alert.evidence) == 3
    assert [b.code for b in alert.bodies] == ["police_oversight"]  # a subject's alert goes to its register's body
    allege(subject, clock.now, 0)
    assert "0 raised, 1 updated" in detect(app)
    db.session.expire_all()
    assert db.session.get(PatternAlert, alert.id).count == 4
    alert.status = AlertStatus.CLOSED
    db.session.commit()
    assert "0 raised, 0 updated" in detect(app)  # nothing new since it was closed
    clock.advance(days=1)
    allege(subject, clock.now, 0)
    assert "1 raised, 0 updated" in detect(app)
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("pattern_alert.%"))
                                      .order_by(AuditEntry.seq)))
    assert actions == ["pattern_alert.raise", "pattern_alert.update", "pattern_alert.raise"]


@pytest.fixture
def raised(app, clock):
    subject = make_subject(name="Sergeant Kamara")
    for days_ago in (1, 2, 3):
        allege(subject, clock.now, days_ago)
    detect(app)
    return db.session.scalars(select(PatternAlert)).one()


def post(client, alert: PatternAlert, target: str):
    return client.post(f"/staff/patterns/alerts/{alert.id}/{target}",
                       data={"csrf_token": csrf_token(client, "/staff/patterns/alerts")})


def test_an_alert_is_seen_by_the_bodies_concerned_only(raised, make_user, signed_in):
    ours = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    theirs = signed_in(make_user(Role.INVESTIGATOR, body="human_rights_commission"))
    page = ours.get(f"/staff/patterns/alerts/{raised.id}").get_data(as_text=True)
    assert "Sergeant Kamara" in page and raised.evidence[0].case.reference in page
    assert theirs.get(f"/staff/patterns/alerts/{raised.id}").status_code == 404
    assert f"#{raised.id}" not in theirs.get("/staff/patterns/alerts").get_data(as_text=True)
    assert post(theirs, raised, "acknowledged").status_code == 404
    auditor = signed_in(make_user(Role.AUDITOR))
    assert auditor.get(f"/staff/patterns/alerts/{raised.id}").status_code == 200
    assert post(auditor, raised, "acknowledged").status_code == 403


WORKFLOW = [  # (from, to, HTTP status)
    (AlertStatus.OPEN, "acknowledged", 302), (AlertStatus.OPEN, "referred", 302), (AlertStatus.OPEN, "closed", 302),
    (AlertStatus.ACKNOWLEDGED, "referred", 302), (AlertStatus.ACKNOWLEDGED, "open", 409),
    (AlertStatus.REFERRED, "closed", 302), (AlertStatus.REFERRED, "acknowledged", 409),
    (AlertStatus.CLOSED, "open", 409), (AlertStatus.OPEN, "forgotten", 404),
]


def test_the_alert_workflow(raised, make_user, signed_in):
    client = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    failures = []
    for start, target, expected in WORKFLOW:
        raised.status = start
        db.session.commit()
        status = post(client, raised, target).status_code
        db.session.expire_all()
        now = db.session.get(PatternAlert, raised.id).status
        moved = now.value == target
        if status != expected or moved != (expected == 302):
            failures.append(f"{start.value} -> {target}: {status}, now {now.value}")
    assert failures == []
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("pattern_alert.%"),
                                                                AuditEntry.user_id.is_not(None))))
    assert len(entries) == 5 and entries[0].before == {"status": "open"}


@dataclass(frozen=True)
class ZoneRow:
    zone: str
    now: dt.datetime  # the clock, set near a day boundary somewhere
    dates: tuple[dt.date, ...]  # incident dates of three allegations against one subject
    expected: int | None


MARCH_12, MARCH_13 = dt.date(2026, 3, 12), dt.date(2026, 3, 13)
LATE_UTC = dt.datetime(2026, 3, 12, 22, 30, tzinfo=dt.UTC)  # already March 13 at UTC+14
EARLY_UTC = dt.datetime(2026, 3, 12, 2, 0, tzinfo=dt.UTC)  # still March 11 at UTC-7
ZONE_ROWS = [
    ZoneRow("UTC", LATE_UTC, (MARCH_13,) * 3, None),  # tomorrow in UTC: not yet in the window
    ZoneRow("Pacific/Kiritimati", LATE_UTC, (MARCH_13,) * 3, 3),  # today there
    ZoneRow("UTC", EARLY_UTC, (MARCH_12 - dt.timedelta(days=90),) * 3, None),  # the day before the window
    ZoneRow("America/Los_Angeles", EARLY_UTC, (MARCH_12 - dt.timedelta(days=90),) * 3, 3),  # its first day there
    ZoneRow("America/Los_Angeles", EARLY_UTC, (MARCH_12,) * 3, None),  # tomorrow there
    ZoneRow("Africa/Freetown", EARLY_UTC, (MARCH_12,) * 3, 3),
]


@pytest.mark.parametrize("row", ZONE_ROWS, ids=lambda r: f"{r.zone}-{r.now:%H%M}-{r.dates[0]}")
def test_subject_windows_are_days_of_the_deployment_s_time_zone(app, clock, row):
    app.config["TIMEZONE"] = row.zone
    clock.now = row.now
    subject = make_subject()
    for day in row.dates:
        allegation = allege(subject, clock.now, 0)
        allegation.incident_date = day
    db.session.commit()
    clusters = find_clusters(rules_from_config([FORCE]), clock.now)
    assert [c.count for c in clusters] == ([row.expected] if row.expected else [])
    if clusters:
        today = clock.now.astimezone(ZoneInfo(row.zone)).date()
        assert (clusters[0].window_start, clusters[0].window_end) == (today - dt.timedelta(days=89), today)


DAY = {"code": "place_day", "kind": "place", "factor": 1.0, "min_count": 2, "window_days": 1, "baseline_windows": 1}


@pytest.mark.parametrize(("zone", "expected"), [
    ("UTC", 2),  # 00:30 and 01:30 UTC are today in UTC
    ("Pacific/Kiritimati", 2),  # and there (14:30, 15:30)
    ("America/Los_Angeles", None),  # but yesterday evening at UTC-7: the baseline, not today
])
def test_place_windows_start_at_the_deployment_s_midnight(app, clock, zone, expected):
    app.config["TIMEZONE"] = zone
    bo = db.session.query(District).filter_by(code="bo").one()
    for hour in (0, 1):
        create_case(CaseStatus.RECEIVED, district=bo,
                    created_at=dt.datetime(2026, 3, 12, hour, 30, tzinfo=dt.UTC))
    clusters = find_clusters(rules_from_config([DAY]), clock.now)  # 2026-03-12 09:00 UTC
    assert [c.count for c in clusters] == ([expected] if expected else [])
