"""The public statistics: figures against the bodies' targets, their charts, their exports and the data
dictionary. No sign-in and no JavaScript."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_decimal, format_number, format_percent, gettext, ngettext
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict

from civicwatch.cases.models import Outcome
from civicwatch.database import utcnow
from civicwatch.extensions import db, limiter
from civicwatch.i18n import N_, collation_key, current_language, display_name
from civicwatch.open_data import (
    OUTCOME_LABELS,
    download,
    download_limit,
    filter_problem,
    licence,
    licence_context,
    public_caching,
)
from civicwatch.public_urls import public_url_for
from civicwatch.publishing.exports import ANSWER_COLUMNS
from civicwatch.taxonomy.models import Body, Region, Theme
from civicwatch.taxonomy.queries import all_bodies, all_regions, all_themes, by_code
from civicwatch.transparency import charts, exports
from civicwatch.transparency.early_warning import EarlyWarning, published_early_warning
from civicwatch.transparency.forms import StatisticsFilterForm
from civicwatch.transparency.report import UNKNOWN, GroupFigures, Report, build_report
from civicwatch.transparency.retaliation import RetaliationWatch, retaliation_watch_figures
from civicwatch.transparency.rollup import refresh_due, refresh_statistics
from civicwatch.transparency.statistics import StatisticsFilter, rollup_refreshed_at, statistics_start
from civicwatch.transparency.suppression import Figure, FigureState

blueprint = Blueprint("transparency", __name__)
blueprint.context_processor(licence_context)
blueprint.after_request(public_caching)
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- figures in words

def _note(figure: Figure) -> str:
    """Words for a figure that is not shown, in the page's language (the files keep Figure.note's English)."""
    if figure.state is FigureState.AT_LEAST:
        return gettext("at least %(count)s", count=format_number(int(figure.value or 0)))
    if figure.state is FigureState.SMALL:
        return gettext("fewer than %(threshold)s", threshold=current_app.config["SMALL_COUNT_THRESHOLD"])
    if figure.state is FigureState.WITHHELD:
        return gettext("withheld")
    return gettext("no data") if figure.state is FigureState.EMPTY else ""


@blueprint.app_template_filter("figure_count")
def figure_count(figure: Figure) -> str:
    return format_number(int(figure.value)) if figure.shown and figure.value is not None else _note(figure)


@blueprint.app_template_filter("figure_percent")
def figure_percent(figure: Figure) -> str:
    return format_percent(float(figure.value)) if figure.shown and figure.value is not None else _note(figure)


@blueprint.app_template_filter("figure_days")
def figure_days(figure: Figure, whole: bool = False) -> str:
    if not figure.shown or figure.value is None:
        return _note(figure)
    value = round(float(figure.value), 0 if whole else 1)
    text = format_decimal(value, "0" if whole else "0.0")
    return ngettext("%(days)s day", "%(days)s days", int(value) if value.is_integer() else 2, days=text)


@blueprint.app_template_filter("figure_reason")
def figure_reason(figure: Figure) -> str:
    """Why a figure is not published, in a sentence."""
    threshold = current_app.config["SMALL_COUNT_THRESHOLD"]
    if figure.state is FigureState.SMALL:
        return gettext("Between 1 and %(most)s complaints. So few could point to the people who complained, "
                       "so the exact number is not published.", most=threshold - 1)
    if figure.state is FigureState.WITHHELD:
        return gettext("Not published: it is worked out from fewer than %(threshold)s complaints, or with the "
                       "other figures it would let someone work out such a small number.", threshold=threshold)
    if figure.state is FigureState.AT_LEAST:
        return gettext("A sum over months in which some months are not published: it is at least the months "
                       "that are shown.")
    return ""


@blueprint.app_template_filter("figure_rating")
def figure_rating(figure: Figure) -> str:
    if not figure.shown or figure.value is None:
        return _note(figure)
    return gettext("%(rating)s out of 5", rating=format_decimal(float(figure.value), "0.0"))


@blueprint.app_template_filter("period_name")
def period_name(code: str) -> str:
    """A month ('2026-03'), quarter ('2026-Q1') or year ('2026') of the figures, in the page's language."""
    if "-Q" in code:
        year, quarter = code.split("-Q")
        first = (int(quarter) - 1) * 3 + 1
        return gettext("%(first)s to %(last)s", first=charts.month_abbreviation(first),
                       last=format_date(dt.date(int(year), first + 2, 1), "MMM y"))
    if "-" in code:
        year, month = code.split("-")
        return format_date(dt.date(int(year), int(month), 1), "MMM y")
    return code


@blueprint.app_template_filter("share_words")
def share_words(share: float) -> str:
    """A body's target share (0.9) as the page's language writes it (90%)."""
    return format_percent(share)


SUBJECT_KINDS = {"unit": N_("unit"), "post": N_("post")}


@blueprint.app_template_filter("subject_kind")
def subject_kind(kind: str) -> str:
    return gettext(SUBJECT_KINDS.get(kind, kind))


@blueprint.app_template_filter("group_name")
def group_name(group: GroupFigures) -> str:
    """A body's, theme's or region's name in the page's language; the group of cases with none, in words."""
    if group.code == UNKNOWN:
        return gettext(group.name)
    return display_name(group.name, group.names, current_language())


def in_reading_order(report: Report) -> Report:
    """The bodies, themes and regions in the alphabetical order of their names in the page's language, the cases
    with none last (the report and its downloads keep one order, by the stored name, whatever the language)."""

    def ordered(groups: list[GroupFigures]) -> list[GroupFigures]:
        return sorted(groups, key=lambda group: (group.code == UNKNOWN, collation_key(group_name(group))))

    return replace(report, bodies=ordered(report.bodies), themes=ordered(report.themes),
                   regions=ordered(report.regions))


# ---------------------------------------------------------------- statistics

class FilterError(Exception):
    def __init__(self, form: StatisticsFilterForm) -> None:
        super().__init__("invalid statistics filter")
        self.form = form


def _refresh_statistics_if_due() -> None:
    """Where page views refresh the rollup (STATISTICS_REFRESH_ON_PAGE_VIEW), bring it up to date when it is
    old; elsewhere the worker does, and the page shows the figures of the last refresh (its date is on the
    page). If the refresh fails, the page shows the previous figures rather than an error."""
    if not current_app.config.get("STATISTICS_REFRESH_ON_PAGE_VIEW") or not refresh_due():
        return
    try:
        refresh_statistics()
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("statistics refresh failed (%s); showing the previous figures", type(exc).__name__)


def _statistics(args: MultiDict, download: bool = False) -> tuple[StatisticsFilterForm, Report, dict[str, Any]]:
    """The filter form and the report it asks for; FilterError (carrying the form) on bad input. A `download`
    refuses a period the statistics do not offer (the page shows the last 12 months instead)."""
    _refresh_statistics_if_due()
    now = utcnow()
    current_month = now.strftime("%Y-%m")
    start = statistics_start(current_app.config.get("STATISTICS_SINCE"), current_month)
    years = list(range(now.year, int(start[:4]) - 1, -1))
    form = StatisticsFilterForm(args, years, all_bodies(active_only=False), all_themes(), all_regions(), since=start,
                                strict_period=download)
    if not form.validate():
        raise FilterError(form)
    period = form.chosen_period(current_month)
    body, theme, region = by_code(Body, form.body.data), by_code(Theme, form.theme.data), by_code(Region, form.region.data)
    first = period.first_month or start
    query = StatisticsFilter(first, period.last_month, body.id if body else None,
                             theme.id if theme else None, region.id if region else None)
    # The monthly trend stops at this month: none of the months still to come holds a complaint.
    month_range = (first, min(period.last_month or current_month, current_month))
    report = build_report(query, current_app.config["SMALL_COUNT_THRESHOLD"], month_range)
    context = {"period": period, "body": body, "theme": theme, "region": region,
               "filters": {k: v for k, v in args.items() if k in form.data and v}}
    return form, report, context


def _charts(report: Report, body: Body | None) -> dict[str, Any]:
    labels = [period_name(m.code) for m in report.months]
    months = [m.code for m in report.months]
    threshold = report.threshold
    received = [m.count("received") for m in report.months]
    in_time = [m.share("acknowledged_in_time") for m in report.months]
    target = body.target_acknowledged_share if body is not None else None
    rows = [(group_name(b), b.share("acknowledged_in_time"), b.target_acknowledged_share,
             b.target_met(b.share("acknowledged_in_time"), b.target_acknowledged_share),
             figure_percent(b.share("acknowledged_in_time")))
            for b in report.bodies if b.target_acknowledged_share is not None]
    return {
        "received": charts.column_chart(
            gettext("Complaints received each month"),
            gettext("Bar chart of the number of complaints received each month. The same figures are in the "
                    "table below the chart."), months, labels, received, threshold, [_note(f) for f in received]),
        "quarters": charts.column_chart(
            gettext("Complaints received each quarter"),
            gettext("Bar chart of the number of complaints received each quarter. The same figures are in the "
                    "table below the chart."), [q.code for q in report.quarters],
            [period_name(q.code) for q in report.quarters], [q.count("received") for q in report.quarters],
            threshold, [figure_count(q.count("received")) for q in report.quarters]),
        "in_time": charts.line_chart(
            gettext("Acknowledged within the deadline, month by month"),
            gettext("Line chart of the share of complaints acknowledged within the deadline, for the complaints "
                    "received each month. The same figures are in the table below the chart."),
            months, labels, in_time, target, [_note(f) for f in in_time]),
        "targets": charts.target_chart(
            gettext("Acknowledged within the deadline: each body against its own target"),
            gettext("For each oversight body, a bar shows the share of complaints acknowledged within the "
                    "deadline and a mark shows the body's target. The same figures are in the table below."), rows),
    }


@blueprint.route("/transparency")
def overview() -> ResponseReturnValue:
    try:
        form, report, context = _statistics(request.args)
    except FilterError as error:
        return render_template("transparency/overview.html", form=error.form, report=None), 400
    report = in_reading_order(report)
    return render_template("transparency/overview.html", form=form, report=report, charts=_charts(report, context["body"]),
                           outcomes=[o.value for o in Outcome],
                           warning=_early_warning(report.generated_at), retaliation=_retaliation(report.generated_at),
                           cadence=current_app.config.get("STATISTICS_PUBLISHED"), **context)


def _published_at() -> dt.datetime:
    """The moment the public figures describe, for a page that reads no statistics report (whose generated_at is
    that moment): the rollup's last refresh (now, before the first)."""
    _refresh_statistics_if_due()
    return rollup_refreshed_at() or utcnow()


def _retaliation(as_of: dt.datetime) -> RetaliationWatch:
    return retaliation_watch_figures(current_app.config["SMALL_COUNT_THRESHOLD"], as_of)


def _early_warning(as_of: dt.datetime) -> EarlyWarning:
    return published_early_warning(as_of, current_app.config["SMALL_COUNT_THRESHOLD"])


# The files are named by what they hold: the CSV has no room for the period, the filters or the day, and two
# downloads under one name would be saved over each other.

def _early_warning_name(warning: EarlyWarning) -> str:
    return f"civicwatch-early-warning-{warning.as_of.isoformat()}"


def _statistics_name(report: Report, context: dict[str, Any]) -> str:
    query = report.query
    months = f"{query.first_month}-to-{query.last_month}" if query.last_month else f"{query.first_month}-onwards"
    filters = "".join(f"-{name}-{context[name].code}" for name in ("body", "theme", "region") if context[name])
    return f"civicwatch-statistics-{months}{filters}"


@blueprint.route("/transparency/early-warning.csv")
@limiter.shared_limit(download_limit, scope="early-warning-download")
def early_warning_csv() -> ResponseReturnValue:
    warning = _early_warning(_published_at())
    return download(exports.early_warning_csv(warning), "text/csv", f"{_early_warning_name(warning)}.csv")


@blueprint.route("/transparency/early-warning.json")
@limiter.shared_limit(download_limit, scope="early-warning-download")
def early_warning_json() -> ResponseReturnValue:
    warning = _early_warning(_published_at())
    meta = {"licence": licence(), "source": public_url_for("transparency.overview", _anchor="early-warning")}
    return download(exports.early_warning_json(warning, meta), "application/json",
                    f"{_early_warning_name(warning)}.json")


@blueprint.route("/transparency/statistics.csv")
@limiter.shared_limit(download_limit, scope="statistics-download")
def statistics_csv() -> ResponseReturnValue:
    try:
        _, report, context = _statistics(request.args, download=True)
    except FilterError as error:
        return filter_problem(error.form)
    return download(exports.statistics_csv(report, _retaliation(report.generated_at)), "text/csv", f"{_statistics_name(report, context)}.csv")


@blueprint.route("/transparency/statistics.json")
@limiter.shared_limit(download_limit, scope="statistics-download")
def statistics_json() -> ResponseReturnValue:
    try:
        _, report, context = _statistics(request.args, download=True)
    except FilterError as error:
        return filter_problem(error.form)
    meta = {"licence": licence(), "source": public_url_for("transparency.overview"),
            "period": {"first_month": report.query.first_month, "last_month": report.query.last_month,
                       "label": context["period"].label},
            "filters": {"body": context["body"].code if context["body"] else None,
                        "theme": context["theme"].code if context["theme"] else None,
                        "region": context["region"].code if context["region"] else None}}
    return download(exports.statistics_json(report, _retaliation(report.generated_at), meta), "application/json",
                    f"{_statistics_name(report, context)}.json")


@blueprint.route("/transparency/data")
def data_dictionary() -> str:
    return render_template("transparency/data.html", licence=licence(), outcomes=OUTCOME_LABELS,
                           threshold=current_app.config["SMALL_COUNT_THRESHOLD"],
                           answer_columns=ANSWER_COLUMNS, statistics_columns=exports.STATISTICS_COLUMNS)
