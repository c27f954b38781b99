"""The statutory clock: deadlines in working days over weekends and the deployment's holidays, within the law's
limits; the one extension of the answer's deadline, with a reason, refused a second time and to anyone outside
the case's body; holidays kept by admins (page and CSV) with bad input refused clearly."""
from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pytest
from sqlalchemy import delete, event, func, select

from civicwatch import create_app
from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.deadlines import set_deadlines
from civicwatch.cases.holidays import set_holiday
from civicwatch.cases.models import Case, CaseEvent, CaseStatus
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import remember_phone_language
from civicwatch.phones import phone_hash
from civicwatch.taxonomy.models import Holiday
from tests.cases.conftest import fresh, post_case_form
from tests.conftest import csrf_token, make_config

UTC = dt.UTC
REASON = "We are waiting for the hospital's medical records, which take three weeks."


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(23, 59, 59), tzinfo=UTC)


def add_holidays(*days: str) -> None:
    db.session.add_all(Holiday(day=dt.date.fromisoformat(day), name=f"Holiday {day}") for day in days)
    db.session.commit()


# (why, received at, urgent, holidays, config, acknowledge by, answer by); defaults: 5 and 1 working days to
# acknowledge, 60 and 20 to answer, Saturday and Sunday off, capped by 7 days and 3 months from receipt.
CLOCK_ROWS = [
    ("urgent, over the weekend", "2026-03-13T10:00", True, (), {}, "2026-03-16", "2026-04-10"),
    ("urgent, the next working day is a holiday", "2026-03-13T10:00", True, ("2026-03-16",), {},
     "2026-03-17", "2026-04-13"),
    ("urgent at year end: Christmas week and New Year's Day", "2026-12-24T16:00", True,
     ("2026-12-25", "2027-01-01"), {}, "2026-12-28", "2027-01-25"),
    ("received on a holiday counts from the next working day", "2026-12-25T08:00", True,
     ("2026-12-25", "2026-12-28"), {}, "2026-12-29", "2027-01-25"),
    ("ordinary: the law's 7 days cap 5 working days over a holiday", "2026-03-12T09:00", False,
     ("2026-03-16",), {}, "2026-03-19", "2026-06-05"),
    ("ordinary, the law's limits lifted: working days alone", "2026-03-12T09:00", False, ("2026-03-16",),
     {"STATUTORY_ACKNOWLEDGE_DAYS": 0, "STATUTORY_RESPOND_MONTHS": 0}, "2026-03-20", "2026-06-05"),
    ("ordinary: 60 working days past Easter and May Day", "2026-03-12T09:00", False,
     ("2026-04-03", "2026-04-06", "2026-05-01"), {}, "2026-03-19", "2026-06-09"),
    ("the law's three months cap a long answer window", "2026-03-12T09:00", False, (),
     {"STATUTORY_RESPOND_MONTHS": 1}, "2026-03-19", "2026-04-12"),
    ("a Friday-Saturday weekend", "2026-03-12T09:00", True, (), {"WEEKEND_DAYS": (4, 5)},
     "2026-03-15", "2026-04-09"),
]


def test_deadlines_count_working_days(app, clock):
    """One app for the whole table (each row's holidays and settings undone after it); failures listed."""
    failures, settings = [], dict(app.config)
    for why, received, urgent, days_off, config, acknowledge_by, answer_by in CLOCK_ROWS:
        add_holidays(*days_off)
        app.config.update(config)
        clock.now = dt.datetime.fromisoformat(received).replace(tzinfo=UTC)
        case = Case(urgent=urgent)
        set_deadlines(case, None, clock.now)
        if (case.acknowledge_due_at, case.respond_due_at) != (end_of(acknowledge_by), end_of(answer_by)):
            failures.append(f"{why}: {case.acknowledge_due_at}, {case.respond_due_at}")
        db.session.execute(delete(Holiday))
        db.session.commit()
        app.config.update({name: settings[name] for name in config})
    assert failures == []


def test_a_deadline_ends_with_the_deployments_day(app, clock):
    app.config["TIMEZONE"] = "Africa/Lagos"  # UTC+1: the day ends at 22:59:59 UTC
    clock.now = dt.datetime(2026, 3, 13, 23, 30, tzinfo=UTC)  # already Saturday 00:30 in Lagos
    case = Case(urgent=True)
    set_deadlines(case, None, clock.now)
    assert case.acknowledge_due_at == dt.datetime(2026, 3, 16, 22, 59, 59, tzinfo=UTC)


def _urgent_deadline_counting_holiday_reads(start: dt.datetime) -> tuple[dt.datetime | None, int]:
    reads: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        reads.extend([statement] if "FROM holidays" in statement else [])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        case = Case(urgent=True)
        set_deadlines(case, None, start)
        db.session.commit()  # the next computation is in a new transaction
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return case.acknowledge_due_at, len(reads)


def test_holidays_are_read_once_per_process_and_a_holiday_added_by_another_process_counts_next(
        app, database_url, tmp_path: Path, clock):
    """The holidays are cached per process with the taxonomy; another process (a second app on the same
    database: another gunicorn worker, the admin's) adding one makes the next transaction here read them again."""
    assert _urgent_deadline_counting_holiday_reads(clock.now)[0] == end_of("2026-03-13")  # Thursday: Friday
    assert _urgent_deadline_counting_holiday_reads(clock.now) == (end_of("2026-03-13"), 0)
    other = create_app(make_config(database_url, tmp_path))
    with other.app_context():
        set_holiday(None, dt.date(2026, 3, 13), "Bank holiday")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    assert _urgent_deadline_counting_holiday_reads(clock.now) == (end_of("2026-03-16"), 1)
    assert _urgent_deadline_counting_holiday_reads(clock.now) == (end_of("2026-03-16"), 0)


# ---------------------------------------------------------------- the one extension

@pytest.fixture
def investigating(make_case, clock):
    """A case the police oversight board investigates, answer due 60 working days from 12 March 2026."""
    add_holidays("2026-04-03", "2026-04-06", "2026-05-01", "2026-06-10")
    return make_case(CaseStatus.INVESTIGATING, body="police_oversight", created_at=clock.now)


@pytest.fixture
def investigator(make_user, signed_in):
    return signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))


def extend(client, case, days="5", reason=REASON):
    return post_case_form(client, case.id, "extend", "extend", days=days, reason=reason)


def test_the_answers_deadline_is_extended_once_in_working_days_and_audited_without_the_reason(
        investigating, investigator):
    assert investigating.respond_due_at == end_of("2026-06-09")
    response = extend(investigator, investigating)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    case = fresh(investigating)
    assert case.respond_due_at == end_of("2026-06-17")  # five working days, not the 10 June holiday
    assert case.deadline_extension_reason == REASON and case.deadline_extended_at is not None
    assert db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "deadline_extended")).public
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.extend_deadline")).one()
    assert entry.after["days"] == 5 and entry.after["reason_length"] == len(REASON)
    assert REASON not in str(entry.before) + str(entry.after)

    again = extend(investigator, case, reason="Still waiting.")
    assert again.status_code == 409
    assert "already been extended once" in again.get_data(as_text=True)
    assert fresh(case).respond_due_at == end_of("2026-06-17")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "case.extend_deadline")) == 1


BAD_EXTENSIONS = [
    ("5", "", "Write the reason: the complainant reads it."),
    ("5", "   ", "Write the reason: the complainant reads it."),
    ("", REASON, "Give the number of working days."),
    ("0", REASON, "Number must be between 1 and 520."),
    ("61", REASON, "Extend the deadline by 1 to 60 working days."),
    ("ten", REASON, "Write a whole number in figures, such as 12."),
]


def test_a_bad_extension_is_refused_with_a_clear_400(investigating, investigator):
    for days, reason, message in BAD_EXTENSIONS:
        response = extend(investigator, investigating, days=days, reason=reason)
        assert (response.status_code, message in response.text) == (400, True), (days, reason)
    case = fresh(investigating)
    assert case.respond_due_at == end_of("2026-06-09") and case.deadline_extended_at is None


def test_staff_outside_the_case_cannot_extend_or_see_it(investigating, make_user, signed_in):
    for role, body, seen, refused in ((Role.INVESTIGATOR, "anti_corruption_commission", 404, 404),
                                      (Role.TRIAGE, None, 200, 403), (Role.AUDITOR, None, 200, 403)):
        outsider = signed_in(make_user(role, body=body))
        assert outsider.get(f"/staff/cases/{investigating.id}").status_code == seen, role
        response = extend(outsider, investigating)
        assert response.status_code == refused, role
        assert REASON not in response.text
    assert fresh(investigating).deadline_extended_at is None


def test_the_complainant_is_told_by_sms_in_their_language(make_case, investigator, clock):
    phone = "+23276123456"
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight", created_at=clock.now, phone=phone)
    remember_phone_language(phone_hash(phone), "fr")
    db.session.commit()
    assert extend(investigator, case).status_code == 302
    sms = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "deadline_extended")).one()
    assert sms.case_id == case.id
    assert "besoin de plus de temps" in sms.text and REASON in sms.text


def test_the_case_page_offers_the_extension_until_it_is_used(investigating, investigator):
    assert "Extend the deadline to answer (once)" in investigator.get(f"/staff/cases/{investigating.id}").text
    extend(investigator, investigating)
    page = investigator.get(f"/staff/cases/{investigating.id}").text
    assert "Extend the deadline to answer (once)" not in page and "Reason given to the complainant" in page


# ---------------------------------------------------------------- holidays (admins)

@pytest.fixture
def admin(make_user, signed_in):
    return signed_in(make_user(Role.ADMIN))


def post_holidays(client, path: str, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, "/staff/holidays"), **fields})


def holidays() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(h.day.isoformat(), h.name) for h in db.session.scalars(select(Holiday).order_by(Holiday.day))]


def test_an_admin_adds_imports_and_removes_holidays_and_new_deadlines_follow(admin, app, clock):
    assert post_holidays(admin, "/staff/holidays", day="2026-03-16", name="Bank holiday").status_code == 302
    csv_text = "date,name\n2026-04-27,Independence Day\n# comment\n\n2026-03-16,Renamed holiday\n"
    assert post_holidays(admin, "/staff/holidays/import", csv=csv_text).status_code == 302
    assert holidays() == [("2026-03-16", "Renamed holiday"), ("2026-04-27", "Independence Day")]
    case = Case(urgent=True)
    set_deadlines(case, None, dt.datetime(2026, 3, 13, 10, tzinfo=UTC))
    assert case.acknowledge_due_at == end_of("2026-03-17")
    holiday = db.session.scalars(select(Holiday).where(Holiday.day == dt.date(2026, 3, 16))).one()
    assert post_holidays(admin, f"/staff/holidays/{holiday.id}/remove").status_code == 302
    assert holidays() == [("2026-04-27", "Independence Day")]
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("holiday.%"))
                                      .order_by(AuditEntry.seq)))
    assert actions == ["holiday.set", "holiday.import", "holiday.remove"]
    assert "Independence Day" in admin.get("/staff/holidays").text


BAD_HOLIDAYS = [
    ("/staff/holidays/import", {"csv": "date,name\n2026-04-27,Independence Day\n27/04/2026,Bad date\n"},
     "Line 3: '27/04/2026' is not a date written as YYYY-MM-DD."),
    ("/staff/holidays/import", {"csv": "2026-04-27\n"}, "Line 1: expected two fields"),
    ("/staff/holidays/import", {"csv": "2026-04-27,   \n"}, "Line 1: Give the holiday's name."),
    ("/staff/holidays/import", {"csv": "date,name\n"}, "The file has no holidays"),
    # Within the form's limit, beyond what Python's CSV reader takes in one field.
    ("/staff/holidays/import", {"csv": "2026-04-27,Independence Day\n2026-05-01," + "x" * 140_000 + "\n"},
     "Line 2: a field is too long to read."),
    ("/staff/holidays", {"day": "2026-02-30", "name": "Nope"}, "Write the date as YYYY-MM-DD, such as 2026-03-12."),
    ("/staff/holidays", {"day": "2026-04-27", "name": ""}, "Give the holiday's name."),
]


def test_bad_holidays_are_refused_whole_with_a_clear_400(admin):
    for path, fields, message in BAD_HOLIDAYS:
        response = post_holidays(admin, path, **fields)
        assert (response.status_code, message in html.unescape(response.text)) == (400, True), (fields, response.text[-3000:])
    assert holidays() == []


def test_a_holiday_name_is_kept_as_one_line_of_visible_text(admin):
    """Terminal escapes, a bell, a line break and right-to-left overrides leave the name, on the page and in a CSV;
    a name of nothing else is refused as an empty one is."""
    name = "\x1b[1m\x07Independence\r\n\u202eDay\u202c\x1b"
    assert post_holidays(admin, "/staff/holidays", day="2026-04-27", name=name).status_code == 302
    csv_text = '2026-03-16,"Bank\n\u2066holiday\u2069\x07"\n'
    assert post_holidays(admin, "/staff/holidays/import", csv=csv_text).status_code == 302
    assert holidays() == [("2026-03-16", "Bank holiday"), ("2026-04-27", "[1mIndependence Day")]
    only_controls = "\x1b\x07\u202e\r\n\u2066"
    for path, fields, message in [
        ("/staff/holidays", {"day": "2026-05-01", "name": only_controls}, "Give the holiday's name."),
        ("/staff/holidays/import", {"csv": f'2026-05-01,"{only_controls}"\n'}, "Line 1: Give the holiday's name."),
    ]:
        response = post_holidays(admin, path, **fields)
        assert (response.status_code, message in html.unescape(response.text)) == (400, True), response.text[-3000:]
    assert len(holidays()) == 2


def test_the_command_line_imports_a_csv_and_names_a_bad_line(app, tmp_path: Path):
    good, bad = tmp_path / "holidays.csv", tmp_path / "bad.csv"
    good.write_text("date,name\n2026-12-25,Christmas Day\n2027-01-01,New Year's Day\n", encoding="utf-8")
    bad.write_text("2027-04-27,Independence Day\n2027-13-01,No such month\n", encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["civicwatch", "holidays", "import", str(good)])
    assert result.exit_code == 0 and "2 added" in result.output, result.output
    result = runner.invoke(args=["civicwatch", "holidays", "import", str(bad)])
    assert result.exit_code != 0 and "Line 2: '2027-13-01' is not a date" in result.output
    assert holidays() == [("2026-12-25", "Christmas Day"), ("2027-01-01", "New Year's Day")]
    listed = runner.invoke(args=["civicwatch", "holidays", "list"]).output
    assert listed.splitlines() == ["date,name", "2026-12-25,Christmas Day", "2027-01-01,New Year's Day"]
