"""Public transparency pages: statistics against targets, published answers, the Atom feed and open data.

No sign-in and no JavaScript. The staff publishing pages share this blueprint (`staff_views`).
"""
from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict

from civicwatch.cases.models import Outcome
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body, Region, Theme
from civicwatch.taxonomy.queries import all_bodies, all_regions, all_themes, by_code
from civicwatch.transparency import charts, exports
from civicwatch.transparency.forms import OUTCOME_LABELS, PublishedSearchForm, StatisticsFilterForm, outcome_label
from civicwatch.transparency.queries import AnswerSearch, answer_history, latest_answers, search_answers
from civicwatch.transparency.report import Report, build_report
from civicwatch.transparency.rollup import refresh_due, refresh_statistics
from civicwatch.transparency.statistics import StatisticsFilter, rollup_month_range
from civicwatch.transparency.suppression import Figure, FigureState

blueprint = Blueprint("transparency", __name__)
log = logging.getLogger(__name__)


@blueprint.context_processor
def open_data_context() -> dict[str, Any]:
    name, url = current_app.config["OPEN_DATA_LICENCE_NAME"], current_app.config["OPEN_DATA_LICENCE_URL"]
    return {"open_data_licence": {"name": name, "url": url, "line": (
        f"Published under the {name} licence: free to reuse and republish if you credit CivicWatch.")}}


@blueprint.after_request
def public_caching(response: Response) -> Response:
    """Public figures and answers may be kept by browsers and proxies for a minute (the rollup's own pace);
    staff pages are never cached (see security_headers)."""
    if request.method == "GET" and response.status_code == 200 and not request.path.startswith("/staff"):
        response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


# ---------------------------------------------------------------- figures in words

def _note(figure: Figure) -> str:
    return figure.note(current_app.config["SMALL_COUNT_THRESHOLD"])


@blueprint.app_template_filter("figure_count")
def figure_count(figure: Figure) -> str:
    if figure.state is FigureState.AT_LEAST:
        return f"at least {int(figure.value or 0):,}"
    return f"{int(figure.value):,}" if figure.shown and figure.value is not None else _note(figure)


@blueprint.app_template_filter("figure_percent")
def figure_percent(figure: Figure) -> str:
    return f"{float(figure.value):.0%}" if figure.shown and figure.value is not None else _note(figure)


@blueprint.app_template_filter("figure_days")
def figure_days(figure: Figure, whole: bool = False) -> str:
    if not figure.shown or figure.value is None:
        return _note(figure)
    value = float(figure.value)
    text = f"{value:.0f}" if whole else f"{value:.1f}"
    return f"{text} day" if text in ("1", "1.0") else f"{text} days"


@blueprint.app_template_filter("figure_rating")
def figure_rating(figure: Figure) -> str:
    return f"{float(figure.value):.1f} out of 5" if figure.shown and figure.value is not None else _note(figure)


@blueprint.app_template_filter("outcome_label")
def outcome_label_filter(value: str | None) -> str:
    return outcome_label(value)


# ---------------------------------------------------------------- statistics

class FilterError(Exception):
    def __init__(self, form: StatisticsFilterForm) -> None:
        super().__init__("invalid statistics filter")
        self.form = form


def _refresh_statistics_if_due() -> None:
    """Bring the rollup up to date when it is old. If that fails, the page shows the figures as they were
    at the last refresh (its date is on the page) rather than an error."""
    if not refresh_due():
        return
    try:
        refresh_statistics()
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("statistics refresh failed (%s); showing the previous figures", type(exc).__name__)


def _statistics(args: MultiDict) -> tuple[StatisticsFilterForm, Report, dict[str, Any]]:
    """The filter form and the report it asks for; FilterError (carrying the form) on bad input."""
    _refresh_statistics_if_due()
    now = utcnow()
    current_month = now.strftime("%Y-%m")
    first_month, _ = rollup_month_range()
    years = list(range(now.year, int((first_month or current_month)[:4]) - 1, -1))
    form = StatisticsFilterForm(args, years, all_bodies(active_only=False), all_themes(), all_regions())
    if not form.validate():
        raise FilterError(form)
    period = form.chosen_period(current_month)
    body, theme, region = by_code(Body, form.body.data), by_code(Theme, form.theme.data), by_code(Region, form.region.data)
    query = StatisticsFilter(period.first_month, period.last_month, body.id if body else None,
                             theme.id if theme else None, region.id if region else None)
    month_range = (period.first_month or first_month or current_month, period.last_month or current_month)
    report = build_report(query, current_app.config["SMALL_COUNT_THRESHOLD"], month_range)
    context = {"period": period, "body": body, "theme": theme, "region": region,
               "filters": {k: v for k, v in args.items() if k in form.data and v}}
    return form, report, context


def _charts(report: Report, body: Body | None) -> dict[str, Any]:
    labels = [m.name for m in report.months]
    months = [m.code for m in report.months]
    threshold = report.threshold
    received = [m.count("received") for m in report.months]
    in_time = [m.share("acknowledged_in_time") for m in report.months]
    target = body.target_acknowledged_share if body is not None else None
    rows = [(b.name, b.share("acknowledged_in_time"), b.target_acknowledged_share,
             b.target_met(b.share("acknowledged_in_time"), b.target_acknowledged_share),
             figure_percent(b.share("acknowledged_in_time")))
            for b in report.bodies if b.target_acknowledged_share is not None]
    return {
        "received": charts.column_chart(
            "Complaints received each month", "Bar chart of the number of complaints received each month. "
            "The same figures are in the table below the chart.", months, labels, received, threshold,
            [_note(f) for f in received]),
        "in_time": charts.line_chart(
            "Acknowledged within the deadline, month by month",
            "Line chart of the share of complaints acknowledged within the deadline, for the complaints "
            "received each month. The same figures are in the table below the chart.",
            months, labels, in_time, target, [_note(f) for f in in_time]),
        "targets": charts.target_chart(
            "Acknowledged within the deadline: each body against its own target",
            "For each oversight body, a bar shows the share of complaints acknowledged within the deadline "
            "and a mark shows the body's target. The same figures are in the table below.", rows),
    }


@blueprint.route("/transparency")
def overview() -> ResponseReturnValue:
    try:
        form, report, context = _statistics(request.args)
    except FilterError as error:
        return render_template("transparency/overview.html", form=error.form, report=None), 400
    return render_template("transparency/overview.html", form=form, report=report, charts=_charts(report, context["body"]),
                           outcomes=[o.value for o in Outcome], outcome_labels=OUTCOME_LABELS, **context)


def _licence() -> dict[str, str]:
    return {"name": current_app.config["OPEN_DATA_LICENCE_NAME"], "url": current_app.config["OPEN_DATA_LICENCE_URL"]}


def _download(body: Any, mimetype: str, filename: str) -> Response:
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Link"] = f'<{_licence()["url"]}>; rel="license"'
    return response


def _filter_problem(form: Any) -> tuple[Response, int]:
    return jsonify(error={"status": 400, "title": "Something is not right", "message": "Check the filters.",
                          "fields": dict(form.errors)}), 400


@blueprint.route("/transparency/statistics.csv")
def statistics_csv() -> ResponseReturnValue:
    try:
        _, report, _ = _statistics(request.args)
    except FilterError as error:
        return _filter_problem(error.form)
    return _download(exports.statistics_csv(report), "text/csv", "civicwatch-statistics.csv")


@blueprint.route("/transparency/statistics.json")
def statistics_json() -> ResponseReturnValue:
    try:
        _, report, context = _statistics(request.args)
    except FilterError as error:
        return _filter_problem(error.form)
    meta = {"licence": _licence(), "source": url_for("transparency.overview", _external=True),
            "period": {"first_month": report.query.first_month, "last_month": report.query.last_month,
                       "label": context["period"].label},
            "filters": {"body": context["body"].code if context["body"] else None,
                        "theme": context["theme"].code if context["theme"] else None,
                        "region": context["region"].code if context["region"] else None}}
    return _download(exports.statistics_json(report, meta), "application/json", "civicwatch-statistics.json")


@blueprint.route("/transparency/data")
def data_dictionary() -> str:
    return render_template("transparency/data.html", licence=_licence(), outcomes=OUTCOME_LABELS,
                           threshold=current_app.config["SMALL_COUNT_THRESHOLD"],
                           answer_columns=exports.ANSWER_COLUMNS, statistics_columns=exports.STATISTICS_COLUMNS)


# ---------------------------------------------------------------- published answers

def _answer_search(args: MultiDict) -> tuple[PublishedSearchForm, AnswerSearch | None]:
    form = PublishedSearchForm(args, all_bodies(active_only=False), all_themes())
    if not form.validate():
        return form, None
    return form, AnswerSearch(q=form.q.data or None, body_code=form.body.data or None,
                              theme_code=form.theme.data or None, outcome=form.outcome.data or None,
                              year=int(form.year.data) if form.year.data else None)


def _page_number() -> int:
    try:
        return min(max(int(request.args.get("page", "1")), 1), 10_000)
    except ValueError:
        return 1


@blueprint.route("/published")
def published() -> tuple[str, int]:
    form, search = _answer_search(request.args)
    page = _page_number()
    answers, more = search_answers(search, page) if search is not None else ([], False)
    arguments = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("transparency/published.html", form=form, answers=answers, page=page, more=more,
                           arguments=arguments), (200 if search is not None else 400)


@blueprint.route("/published/<reference>")
def published_answer(reference: str) -> str:
    if len(reference) > 32:
        abort(404)
    history = answer_history(reference.upper())
    if history is None:
        abort(404)
    return render_template("transparency/answer.html", history=history)


@blueprint.route("/published/feed.atom")
def feed() -> Response:
    answers = latest_answers()
    updated = max((a.updated_at for a in answers if a.updated_at), default=utcnow())
    xml = render_template("transparency/feed.xml", answers=answers, updated=updated,
                          base=current_app.config["PUBLIC_BASE_URL"].rstrip("/"))
    return Response(xml, mimetype="application/atom+xml")


def _answers_meta() -> dict[str, Any]:
    return {"licence": _licence(), "source": url_for("transparency.published", _external=True),
            "generated_at": exports._iso(utcnow())}


@blueprint.route("/published/answers.csv")
def answers_csv() -> ResponseReturnValue:
    form, search = _answer_search(request.args)
    if search is None:
        return _filter_problem(form)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return _download(exports.answers_csv(search, base), "text/csv", "civicwatch-published-answers.csv")


@blueprint.route("/published/answers.json")
def answers_json() -> ResponseReturnValue:
    form, search = _answer_search(request.args)
    if search is None:
        return _filter_problem(form)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return _download(exports.answers_json(search, base, _answers_meta()), "application/json",
                     "civicwatch-published-answers.json")


from civicwatch.transparency import staff_views  # noqa: E402,F401  (the staff pages of this blueprint)
