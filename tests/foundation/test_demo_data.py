import datetime as dt

from sqlalchemy import func, select

from civicwatch.accounts.models import Role, User
from civicwatch.accounts.operations import authenticate
from civicwatch.cases.deadlines import RUNNING_STATUSES, deadline_state
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.database import utcnow
from civicwatch.demo.publications import RESPONSES
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation
from civicwatch.publishing.models import Publication
from civicwatch.taxonomy.models import Body
from tests.factories import create_case


def test_demo_creates_staff_and_cases_in_every_status_and_is_idempotent(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["civicwatch", "demo", "--password", "demo password 123", "--cases", "300"])
    assert result.exit_code == 0, result.output
    assert "admin@example.org" in result.output and "password: demo password 123" in result.output
    bodies = db.session.scalar(select(func.count()).select_from(Body))
    assert db.session.scalar(select(func.count()).select_from(User)) == 4 + bodies
    assert authenticate("police_oversight@example.org", "demo password 123", "127.0.0.1").role is Role.INVESTIGATOR
    member = authenticate("committee@example.org", "demo password 123", "127.0.0.1")
    assert member.role is Role.COMMUNITY and member.body.code.startswith("community_")
    assert db.session.scalar(select(func.count()).select_from(Case)) == 300
    statuses = set(db.session.scalars(select(Case.status).distinct()))
    assert statuses == set(CaseStatus)
    oldest = db.session.scalar(select(func.min(Case.created_at)))
    newest = db.session.scalar(select(func.max(Case.created_at)))
    assert (newest - oldest).days > 300
    # Every case with a subject has its first allegation, as routing gives new cases: the patterns pages and the
    # early-warning figures have something to show.
    with_theme = db.session.scalar(select(func.count()).select_from(Case).where(Case.theme_id.is_not(None)))
    assert db.session.scalar(select(func.count(func.distinct(Allegation.case_id)))) == with_theme > 250
    # A published answer never contradicts its outcome (a "not substantiated" case recommending discipline).
    published = list(db.session.scalars(select(Publication)))
    assert len(published) > 20
    for publication in published:
        assert publication.response in RESPONSES[publication.case.outcome], publication.case.reference
    again = runner.invoke(args=["civicwatch", "demo", "--password", "another password", "--cases", "300"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count()).select_from(Case)) == 300
    assert authenticate("admin@example.org", "demo password 123", "127.0.0.1").role is Role.ADMIN


def test_demo_generates_and_prints_a_password_when_none_given(app):
    result = app.test_cli_runner().invoke(args=["civicwatch", "demo", "--cases", "5"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password: ")[1].split()[0]
    assert authenticate("triage@example.org", password, "127.0.0.1").role is Role.TRIAGE


def test_the_demo_is_a_plausible_mostly_on_time_service(app, clock):
    result = app.test_cli_runner().invoke(args=["civicwatch", "demo", "--password", "demo password 123",
                                                "--cases", "300"])
    assert result.exit_code == 0, result.output
    now = utcnow()
    open_cases = list(db.session.scalars(select(Case).where(Case.status.in_(RUNNING_STATUSES))))
    overdue = [case for case in open_cases if deadline_state(case, now).overdue]
    assert len(open_cases) >= 40  # a working caseload, not an empty one
    assert 0 < len(overdue) <= 0.15 * len(open_cases)  # a few late ones, as in any real service
    waiting_triage = [case for case in open_cases if case.body_id is None]
    assert waiting_triage and all(now - case.created_at < dt.timedelta(days=3) for case in waiting_triage)
    closed = db.session.scalar(select(func.count()).select_from(Case).where(Case.status == CaseStatus.CLOSED))
    assert closed > len(open_cases) / 2


def test_the_demo_refuses_a_production_deployment(app):
    """Demo staff with a known or printed password and invented cases must never reach a production database,
    whatever the operator typed (`make run` on the server, or the command from a runbook)."""
    app.config["ENVIRONMENT"] = "production"
    users = db.session.scalar(select(func.count()).select_from(User))
    result = app.test_cli_runner().invoke(args=["civicwatch", "demo", "--password", "civicwatch-demo",
                                                "--cases", "5"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "production" in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == users
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert db.session.scalar(select(User.id).where(User.email == "admin@example.org")) is None


def test_the_demo_refuses_a_database_that_holds_real_cases(app, make_user):
    """CIVICWATCH_ENV unset means development, which reads DATABASE_URL too: the demo pointed at a live database by
    mistake finds staff and complaints but no demo account of its own (a demo database, played with, has them) and
    stops, whatever the configuration says."""
    make_user(Role.ADMIN, email="head.of.unit@oversight.example")
    real = create_case(CaseStatus.INVESTIGATING, text="The officer at the desk took my phone and kept it.")
    result = app.test_cli_runner().invoke(args=["civicwatch", "demo", "--password", "civicwatch-demo",
                                                "--cases", "5"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "not a demo database" in result.output, result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1 and db.session.get(Case, real.id)
    assert db.session.scalar(select(User.id).where(User.email == "admin@example.org")) is None


def test_the_number_of_demo_cases_is_bounded(app):
    for count in ("-5", "0", "10000001"):
        result = app.test_cli_runner().invoke(args=["civicwatch", "demo", "--cases", count])
        assert result.exit_code == 2 and "--cases" in result.output, (count, result.output)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
