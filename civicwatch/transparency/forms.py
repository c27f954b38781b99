"""The filters of the public statistics (GET, no CSRF: they change nothing)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import Field, Form, SelectField, StringField
from wtforms.validators import Optional, ValidationError

from civicwatch.forms import listed, refuse_repeated, repeated_filters
from civicwatch.taxonomy.models import Body, Region, Theme
from civicwatch.taxonomy.queries import name_choices
from civicwatch.transparency.statistics import month_problem

LAST_12_MONTHS = "last12"
ALL_TIME = "all"
MONTH_HINT = _l("Year and month, for example 2026-03")
MONTH_INPUT = {"type": "month", "placeholder": "2026-01"}


def _month_before(month: str, count: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + (number - 1) - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return format_date(dt.date(int(year), int(number), 1), "MMMM y")


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _valid_month(form: Form, field: Field) -> None:
    problem = month_problem(field.data)
    if problem:
        raise ValidationError(problem)


@dataclass(frozen=True)
class Period:
    first_month: str | None
    last_month: str | None
    label: str


class StatisticsFilterForm(Form):
    """The filters of /transparency and of the statistics exports."""

    period = SelectField(_l("Period"), default=LAST_12_MONTHS, validate_choice=True)
    # Stripped, so that a month of only blanks (which Optional() lets through) counts as not given.
    # Checked against the months the statistics cover before anything reads them (see month_problem).
    from_month = StringField(_l("From (month)"), validators=[Optional(), _valid_month], filters=[_stripped],
                             description=MONTH_HINT, render_kw=MONTH_INPUT)
    to_month = StringField(_l("To (month)"), validators=[Optional(), _valid_month], filters=[_stripped],
                           description=MONTH_HINT, render_kw=MONTH_INPUT)
    # A choice not in the list (an old or edited link) gets a message of ours: WTForms' own is English only.
    body = SelectField(_l("Oversight body"), default="", validate_choice=False,
                       validators=[listed(_l("Choose an oversight body from the list."))])
    theme = SelectField(_l("What the complaint is about"), default="", validate_choice=False,
                        validators=[listed(_l("Choose a subject from the list."))])
    region = SelectField(_l("Region"), default="", validate_choice=False,
                         validators=[listed(_l("Choose a region from the list."))])

    def __init__(self, args: MultiDict, years: list[int], bodies: list[Body], themes: list[Theme],
                 regions: list[Region], since: str | None = None, strict_period: bool = False) -> None:
        super().__init__(args)
        # The downloads refuse a period they do not offer: a file names no months, so one of the last 12 months
        # given for another period would be filed as that period. The page shows which months it covers.
        self.strict_period = strict_period
        # A filter given twice: the form would read its first value alone and say nothing of the other.
        self.repeated = repeated_filters(self, args)
        self.since = since  # the first month the statistics cover (STATISTICS_SINCE): no period reaches before it
        self.period.choices = [(LAST_12_MONTHS, gettext("Last 12 months")), (ALL_TIME, gettext("All time"))] + [
            (str(year), str(year)) for year in years]
        self.body.choices = [("", gettext("All bodies"))] + name_choices(bodies)
        self.theme.choices = [("", gettext("All subjects"))] + name_choices(themes)
        self.region.choices = [("", gettext("All regions"))] + name_choices(regions)

    def validate(self, extra_validators: dict | None = None) -> bool:
        offered = [value for value, _ in self.period.choices]
        unknown = bool(self.period.data) and self.period.data not in offered  # an empty choice is no choice
        if self.period.data not in offered:
            self.period.data = LAST_12_MONTHS  # on the page, an old link to a year with no cases is not an error
        valid = super().validate(extra_validators)
        if unknown and self.strict_period:
            self.period.errors = [*self.period.errors, gettext(
                "Not a period the statistics offer. Choose one of: %(periods)s.", periods=", ".join(offered))]
            valid = False
        valid = refuse_repeated(self, self.repeated) and valid
        if valid and self.from_month.data and self.to_month.data and self.from_month.data > self.to_month.data:
            self.to_month.errors = [gettext("The end month must not be before the start month.")]
            valid = False
        if valid and self.since and self.to_month.data and self.to_month.data < self.since:
            self.to_month.errors = [gettext("The statistics begin in %(month)s: choose that month or a later one.",
                                            month=_month_label(self.since))]
            valid = False
        return valid

    def chosen_period(self, current_month: str) -> Period:
        """The months the figures cover, never before `since`. Months given by hand win over the period menu."""
        period = self._asked_period(current_month)
        if self.since and period.first_month and period.first_month < self.since:
            # Named by the months it counts: "2026" over figures from April would tell of months left out.
            return Period(self.since, period.last_month, _custom_label(self.since, period.last_month))
        return period

    def _asked_period(self, current_month: str) -> Period:
        first, last = (self.from_month.data or None), (self.to_month.data or None)
        if first or last:
            return Period(first, last, _custom_label(first, last))
        if self.period.data == ALL_TIME:
            return Period(None, None, gettext("all time"))
        if self.period.data and self.period.data.isdigit():
            return Period(f"{self.period.data}-01", f"{self.period.data}-12", self.period.data)
        first = _month_before(current_month, 11)
        return Period(first, current_month, gettext("the last 12 months (%(first)s to %(last)s)",
                                                    first=_month_label(first), last=_month_label(current_month)))


def _custom_label(first: str | None, last: str | None) -> str:
    if first and last:
        return gettext("%(first)s to %(last)s", first=_month_label(first), last=_month_label(last))
    if first:
        return gettext("%(first)s onwards", first=_month_label(first))
    return gettext("up to %(last)s", last=_month_label(last or ""))
