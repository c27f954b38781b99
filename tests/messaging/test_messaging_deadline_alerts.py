"""Deadline reminders and escalations: sent by the `deliver` worker, each exactly once even when workers race;
to the right people only (the assignee and the body's staff before, the administrators after); shown on the
dashboard until the deadline is met or moved; audited without personal data."""
from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases import reminders
from civicwatch.cases.models import CaseStatus, DeadlineAlert, StaffNotification
from civicwatch.extensions import db
from tests.factories import create_case, staff_client


def notified(user) -> list[tuple[str, str, int]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(DeadlineAlert.stage, DeadlineAlert.deadline, DeadlineAlert.case_id).join(StaffNotification.alert)
        .where(StaffNotification.user_id == user.id).order_by(StaffNotification.id))
    return [tuple(row) for row in rows]


def deliver(app) -> str:
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def people(make_user):
    return {"assignee": make_user(Role.INVESTIGATOR, body="police_oversight"),
            "colleague": make_user(Role.INVESTIGATOR, body="police_oversight"),
            "other_body": make_user(Role.INVESTIGATOR, body="anti_corruption_commission"),
            "admin": make_user(Role.ADMIN), "triage": make_user(Role.TRIAGE)}


def due_case(clock, people, hours: float):
    """An acknowledged case under investigation whose answer is due in `hours`."""
    return create_case(CaseStatus.INVESTIGATING, body="police_oversight", assigned_to=people["assignee"],
                       respond_due_at=clock.now + dt.timedelta(hours=hours))


def test_the_worker_reminds_then_escalates_each_once_to_the_right_people(app, clock, twilio_http, people):
    case = due_case(clock, people, hours=30)
    far = due_case(clock, people, hours=24 * 10)  # outside the reminder window
    assert "Deadline alerts: 1 reminders, 0 escalations." in deliver(app)
    reminder = [("reminder", "respond", case.id)]
    assert notified(people["assignee"]) == notified(people["colleague"]) == reminder
    assert notified(people["other_body"]) == notified(people["admin"]) == notified(people["triage"]) == []

    clock.advance(minutes=20)  # the next sweep: nothing new is owed
    assert "Deadline alerts" not in deliver(app)
    clock.advance(hours=31)  # the deadline has passed
    assert "Deadline alerts: 0 reminders, 1 escalations." in deliver(app)
    clock.advance(minutes=20)
    deliver(app)
    assert notified(people["admin"]) == [("escalation", "respond", case.id)]
    assert notified(people["assignee"]) == reminder + [("escalation", "respond", case.id)]
    assert notified(people["colleague"]) == reminder
    assert db.session.scalar(select(func.count()).select_from(DeadlineAlert)
                             .where(DeadlineAlert.case_id == far.id)) == 0

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("case.deadline_%"))
                                 .order_by(AuditEntry.seq)).all()
    assert [(e.action, e.case_id, e.user_id) for e in entries] == [
        ("case.deadline_reminder", case.id, None), ("case.deadline_escalation", case.id, None)]
    assert set(entries[1].after) == {"deadline", "due_at", "notified"} and entries[1].after["notified"] == 2


def test_the_dashboard_shows_an_alert_until_the_deadline_moves(app, clock, twilio_http, people):
    case = due_case(clock, people, hours=-2)  # already passed
    deliver(app)
    admin = staff_client(app, people["admin"])
    page = admin.get("/staff/").text
    assert "Escalated: passed" in page and case.reference in page
    outsider = staff_client(app, people["other_body"])
    assert case.reference not in outsider.get("/staff/").text
    case.respond_due_at = clock.now + dt.timedelta(days=20)  # extended: a new deadline, alerts of its own
    db.session.commit()
    assert case.reference not in admin.get("/staff/").text


def test_the_dashboard_alert_speaks_the_readers_language(app, clock, twilio_http, people):
    case = due_case(clock, people, hours=-2)
    deliver(app)
    admin = staff_client(app, people["admin"])
    admin.get("/language/fr")
    page = admin.get("/staff/").text
    assert "Vos alertes d'échéance" in page.replace("&#39;", "'") and "Signalé : échéance dépassée" in page
    assert "répondre avant le" in page and case.reference in page
    assert "Deadline alerts for you" not in page and "Escalated: passed" not in page and " by " not in page


def test_a_stopped_clock_or_a_met_deadline_sends_nothing(app, clock, twilio_http, people):
    waiting = due_case(clock, people, hours=-1)
    waiting.waiting_since = clock.now - dt.timedelta(days=1)
    create_case(CaseStatus.RESPONDED, body="police_oversight", respond_due_at=clock.now - dt.timedelta(hours=1))
    db.session.commit()
    assert reminders.send_deadline_alerts() == reminders.ReminderReport()


def test_a_worker_with_a_stale_list_sends_nothing_twice(app, clock, people):
    """The race decided by the database: what one worker listed, another sent meanwhile."""
    ids = [due_case(clock, people, hours=hours).id for hours in (5, 10, -5)]
    listed = reminders.due_alerts(clock.now)
    assert sorted(due.case_id for due in listed) == sorted(ids)
    first = reminders.send_deadline_alerts()
    assert (first.reminders, first.escalations) == (2, 1)
    assert [reminders.send_alert(due) for due in listed] == [False, False, False]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(DeadlineAlert)) == 3


def test_workers_racing_send_each_alert_once(app, clock, people, monkeypatch):
    ids = [due_case(clock, people, hours=hours).id for hours in (1, 2, 3, 4, -1, -2)]
    barrier = threading.Barrier(2)
    listed = reminders.due_alerts

    def list_then_wait(now, limit=reminders.BATCH):
        found = listed(now, limit)
        barrier.wait()  # both workers hold the same list before either claims anything
        return found

    monkeypatch.setattr(reminders, "due_alerts", list_then_wait)

    def work(_: int) -> reminders.ReminderReport:
        with app.app_context():
            report = reminders.send_deadline_alerts(clock.now)
            db.session.remove()
            return report

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(work, range(2)))
    assert sum(r.reminders for r in reports) == 4 and sum(r.escalations for r in reports) == 2
    assert sum(r.lost for r in reports) == 6  # each alert was listed by both and claimed by one
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(DeadlineAlert)) == 6
    assert sorted(db.session.scalars(select(DeadlineAlert.case_id))) == sorted(ids)
    # reminders: assignee and colleague; escalations: admin and assignee; never twice
    assert db.session.scalar(select(func.count()).select_from(StaffNotification)) == 6 * 2
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.like("case.deadline_%"))) == 6


def test_one_sweep_sends_every_alert_owed_however_many(app, clock, twilio_http, people):
    """After an outage more alerts may be owed than one batch holds: the sweep takes batch after batch rather than
    leaving the rest a whole DEADLINE_SWEEP_MINUTES each."""
    owed = reminders.BATCH + 7
    ids = [due_case(clock, people, hours=1 + n % 40).id for n in range(owed - 3)]
    ids += [due_case(clock, people, hours=-hours).id for hours in (1, 2, 3)]
    assert f"Deadline alerts: {owed - 3} reminders, 3 escalations." in deliver(app)
    db.session.expire_all()
    assert sorted(db.session.scalars(select(DeadlineAlert.case_id))) == sorted(ids)
    clock.advance(minutes=20)
    assert "Deadline alerts" not in deliver(app)
