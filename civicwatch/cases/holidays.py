"""The deployment's public holidays, which no deadline counts as a working day: added and removed by admins on
the holidays page, or loaded from CSV there or with `civicwatch holidays import`. Operations flush, the caller
commits; each change is audited (a holiday's date and name are public facts, never personal data)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import format_number, gettext
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.operations import record_audit
from civicwatch.errors import DomainError, PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Holiday
from civicwatch.text import one_line

NAME_MAX = 200
IMPORT_MAX_LINES = 2_000


@dataclass(frozen=True)
class HolidayLine:
    day: dt.date
    name: str


@dataclass
class ImportSummary:
    added: int = 0
    renamed: int = 0
    unchanged: int = 0


def _require_admin(user: User | None) -> None:
    """None is the command line, run by whoever runs the deployment."""
    if user is not None and user.role is not Role.ADMIN:
        raise PermissionDeniedError(gettext("Only administrators change the holidays."))


def parse_day(raw: str, where: str = "") -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise DomainError(where + gettext("%(value)s is not a date written as YYYY-MM-DD.", value=repr(raw.strip()))) from None


def check_name(raw: str | None, where: str = "") -> str:
    name = one_line(raw)
    if not name:
        raise DomainError(where + gettext("Give the holiday's name."))
    if len(name) > NAME_MAX:
        raise DomainError(where + gettext("The holiday's name is too long: at most %(max)s characters.", max=NAME_MAX))
    return name


def parse_holiday_csv(text: str) -> list[HolidayLine]:
    """Lines `YYYY-MM-DD,Name`; a header line `date,name`, blank lines and lines starting with # are skipped.
    The first bad line refuses the whole file, named by its number."""
    lines: list[HolidayLine] = []
    for number, row in enumerate(_csv_rows(text), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if number == 1 and row[0].strip().lower() == "date":
            continue
        where = gettext("Line %(number)s: ", number=number)
        if len(row) != 2:
            raise DomainError(where + gettext("expected two fields, a date and a name, separated by a comma."))
        lines.append(HolidayLine(parse_day(row[0], where), check_name(row[1], where)))
        if len(lines) > IMPORT_MAX_LINES:
            raise DomainError(gettext("At most %(max)s holidays at once.", max=format_number(IMPORT_MAX_LINES)))
    if not lines:
        raise DomainError(gettext("The file has no holidays: write one per line as YYYY-MM-DD,Name."))
    return lines


def _csv_rows(text: str) -> Iterator[list[str]]:
    """The rows of the CSV; a field the reader refuses (longer than its limit) refuses the file, naming its line."""
    reader = csv.reader(io.StringIO(text))
    try:
        yield from reader
    except csv.Error:
        raise DomainError(gettext("Line %(number)s: ", number=reader.line_num)
                          + gettext("a field is too long to read.")) from None


def set_holiday(user: User | None, day: dt.date, name: str | None) -> Holiday:
    """Add a holiday, or rename the one on that day. Deadlines already set stay as they are."""
    _require_admin(user)
    name = check_name(name)
    holiday = db.session.scalar(select(Holiday).where(Holiday.day == day))
    before = {"day": day, "name": holiday.name} if holiday is not None else None
    if holiday is None:
        holiday = Holiday(day=day, name=name)
        db.session.add(holiday)
    holiday.name = name
    db.session.flush()
    record_audit(user, "holiday.set", holiday, before=before, after={"day": day, "name": name})
    return holiday


def remove_holiday(user: User | None, holiday: Holiday) -> None:
    _require_admin(user)
    record_audit(user, "holiday.remove", holiday, before={"day": holiday.day, "name": holiday.name})
    db.session.delete(holiday)
    db.session.flush()


def import_holidays(user: User | None, lines: list[HolidayLine]) -> ImportSummary:
    """Add or rename every holiday of a parsed file, in one transaction; one audit entry with the counts and
    the days."""
    _require_admin(user)
    known = {h.day: h for h in db.session.scalars(select(Holiday).where(Holiday.day.in_({x.day for x in lines})))}
    summary = ImportSummary()
    for line in lines:
        holiday = known.get(line.day)
        if holiday is None:
            known[line.day] = holiday = Holiday(day=line.day, name=line.name)
            db.session.add(holiday)
            summary.added += 1
        elif holiday.name != line.name:
            holiday.name = line.name
            summary.renamed += 1
        else:
            summary.unchanged += 1
    db.session.flush()
    record_audit(user, "holiday.import", None,
                 after={"added": summary.added, "renamed": summary.renamed, "unchanged": summary.unchanged,
                        "days": sorted(line.day.isoformat() for line in lines)})
    return summary
