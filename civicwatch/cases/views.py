"""Staff pages for cases: dashboard, queues, the case page and its actions, deadlines (admins). The case page's
routing actions (send to a body, correct the classification) are routing's, in routing/case_views.py."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.accounts.permissions import admin_required, came_from_another_site, from_our_pages, staff_required
from civicwatch.audit.operations import record_audit
from civicwatch.cases import holidays, operations
from civicwatch.cases.attachments import send_attachment
from civicwatch.cases.closure_words import mark_closure_words_read
from civicwatch.cases.deadlines import DeadlineState, deadline_state, describe_due
from civicwatch.cases.forms import (
    DeadlinesForm,
    HolidayForm,
    HolidayImportForm,
    QueueFilterForm,
    RemedyForm,
    RemoveHolidayForm,
    TransitionForm,
)
from civicwatch.cases.models import (
    STATUS_LABELS,
    Attachment,
    Case,
    CaseStatus,
    Outcome,
    Recommendation,
    RemedyStatus,
)
from civicwatch.cases.notifications import FEEDBACK_BY_TEXT, sms_wrapping
from civicwatch.cases.operations import StaleCaseError, check_version
from civicwatch.cases.pages import FORMS, build_case_page, fill_choices
from civicwatch.cases.permissions import can_open, load_case
from civicwatch.cases.queries import (
    QUEUES,
    QueueFilters,
    case_by_reference,
    case_timeline,
    dashboard_figures,
    default_queue,
    queue_page,
    queues_for,
)
from civicwatch.cases.reminders import current_notifications
from civicwatch.cases.retaliation import mark_retaliation_seen
from civicwatch.cases.workflow import DONE_MESSAGES, transition_for
from civicwatch.database import deployment_date, utcnow
from civicwatch.errors import DomainError, NotFoundError
from civicwatch.extensions import Model, db
from civicwatch.forms import Form
from civicwatch.messaging.segments import guide_wording, length_guide
from civicwatch.taxonomy.models import Actor, Body, District, Holiday, Region, Theme
from civicwatch.taxonomy.queries import (
    all_actors,
    all_bodies,
    all_districts,
    all_regions,
    all_themes,
    holidays_from,
    name_choices,
)

blueprint = Blueprint("cases", __name__, url_prefix="/staff")
# The "Sent by SMS" guide under text boxes the complainant also gets by text (templates/cases/_macros.html).
blueprint.add_app_template_global(length_guide, "sms_length_guide")
blueprint.add_app_template_global(guide_wording, "sms_guide_wording")
blueprint.add_app_template_global(lambda: FEEDBACK_BY_TEXT, "sms_feedback_ending")
blueprint.add_app_template_global(sms_wrapping)


@blueprint.app_template_filter()
def status_label(status: CaseStatus | str) -> str:
    """A case status in the reader's language ("investigating" or CaseStatus.INVESTIGATING)."""
    known = status if isinstance(status, CaseStatus) else CaseStatus(status)
    return gettext(STATUS_LABELS[known])


@blueprint.app_template_global()
def deadline_of(case: Case) -> DeadlineState:
    return deadline_state(case, utcnow())


@blueprint.app_template_global()
def due_words(due: dt.datetime | None) -> str:
    return describe_due(due, utcnow())


@blueprint.before_request
def auditors_only_read() -> None:
    """Auditors read everything and change nothing."""
    if request.method not in ("GET", "HEAD") and current_user.is_authenticated \
            and current_user.role is Role.AUDITOR:
        abort(403)


# ---------------------------------------------------------------- dashboard and queues

@blueprint.route("/")
@staff_required
def dashboard() -> str:
    if current_user.role is Role.INVESTIGATOR:  # their own body's figures, whatever was asked: no body filter
        bodies, body = [], current_user.body
    else:  # the bodies of the filter: the one asked for is among them
        asked = request.args.get("body")
        bodies = all_bodies(active_only=False)
        body = next((b for b in bodies if asked and b.code == asked), None)
    figures = dashboard_figures(current_user, body)
    return render_template("cases/dashboard.html", figures=figures, counts=figures.queue_counts,
                           notifications=current_notifications(current_user),
                           queues=queues_for(current_user), bodies=bodies, selected_body=body)


def _filter_form() -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    form.theme.choices = [("", gettext("Any theme"))] + name_choices(all_themes())
    form.actor.choices = [("", gettext("Anyone"))] + name_choices(all_actors())
    form.region.choices = [("", gettext("Any region"))] + name_choices(all_regions())
    form.district.choices = [("", gettext("Any district"))] + name_choices(all_districts())
    form.body.choices = [("", gettext("Any body"))] + name_choices(all_bodies(active_only=False))
    return form


Coded = TypeVar("Coded", Theme, Actor, Region, District, Body)


def _ids_by_code(model: type[Coded]) -> dict[str, int]:
    return {row.code: row.id for row in db.session.query(model)}


def _filters_from(form: QueueFilterForm) -> QueueFilters:
    theme_ids, actor_ids, region_ids = _ids_by_code(Theme), _ids_by_code(Actor), _ids_by_code(Region)
    district_ids, body_ids = _ids_by_code(District), _ids_by_code(Body)
    urgency = {"urgent": True, "ordinary": False}.get(form.urgency.data or "")
    return QueueFilters(
        q=None if form.q.errors else form.q.data,
        theme_id=theme_ids.get(form.theme.data), actor_id=actor_ids.get(form.actor.data),
        region_id=region_ids.get(form.region.data), district_id=district_ids.get(form.district.data),
        body_id=body_ids.get(form.body.data),
        status=CaseStatus(form.status.data) if form.status.data and not form.status.errors else None,
        urgent=urgency, received_from=form.received_from.data, received_to=form.received_to.data,
    )


@blueprint.route("/cases")
@staff_required
def queue() -> str:
    queue_key = request.args.get("queue") or default_queue(current_user)
    allowed = {q.key for q in queues_for(current_user)}
    if queue_key not in allowed:
        abort(404)
    form = _filter_form()
    form.validate()  # a bad date or choice is shown next to its field; the rest still filters
    filters = _filters_from(form)
    page_number = request.args.get("page", 1, type=int) or 1
    page = queue_page(current_user, queue_key, filters, page_number)
    elsewhere = case_by_reference(current_user, filters.q) if filters.q and not page.total else None
    # Only the filters go into the page links: any other parameter would reach url_for (?_external=, ?endpoint=)
    filter_names = {"queue", *(name for name in form._fields if name != "submit")}
    args = {k: v for k, v in request.args.items() if k in filter_names and v}
    return render_template("cases/queue.html", queue=QUEUES[queue_key], queues=queues_for(current_user),
                           counts={queue_key: page.total}, form=form, page=page, args=args, elsewhere=elsewhere,
                           filtered=any(v for k, v in args.items() if k not in ("queue",)))


# ---------------------------------------------------------------- the case page

def render_case(case: Case, submitted: dict[str, Form] | None = None, status: int = 200,
                error: str | None = None) -> tuple[str, int]:
    operations.record_case_view(case, current_user, came_from_another_site())
    db.session.commit()
    page = build_case_page(case, current_user, submitted)
    return render_template("cases/detail.html", case=case, page=page, timeline=case_timeline(case),
                           error=error), status


@blueprint.route("/cases/<int:case_id>")
@staff_required
def detail(case_id: int) -> tuple[str, int]:
    return render_case(load_case(current_user, case_id))


@blueprint.route("/cases/<int:case_id>/attachments/<int:attachment_id>")
@staff_required
@from_our_pages
def attachment(case_id: int, attachment_id: int) -> Response:
    case = load_case(current_user, case_id)
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.case_id != case.id:
        raise NotFoundError(gettext("There is no such file on this case."))
    record_audit(current_user, "attachment.view", item, case=case)
    db.session.commit()
    # Read again after the commit: the retention run may have erased the case, and the file with it, meanwhile.
    item = db.session.scalar(select(Attachment).where(Attachment.id == attachment_id))
    if item is None:
        raise NotFoundError(gettext("There is no such file on this case."))
    return send_attachment(item)


def _submitted_texts(form: Form) -> list[tuple[str, str]]:
    return [(str(f.label.text), f.data) for f in form if f.type == "TextAreaField" and f.data]


def perform(case_id: int, key: str, form: Form, action: Callable[[Case], str]) -> ResponseReturnValue:
    """Validate, lock the case and check its version, act, commit and go back to the case; or show what went wrong.

    The version is checked under the case's lock, on the case read again: another save, an erasure or a worker's
    change committed since this request read the case refuses the form here, even when the action itself would
    write only rows hanging off the case (a note written on a case erased meanwhile would be kept for ever)."""
    case = load_case(current_user, case_id)
    fill_choices(form, case)
    if not form.validate_on_submit():
        return render_case(case, {key: form}, status=400)
    try:
        operations.lock_case(case.id)
        check_version(case, form.version.data)
        message = action(case)
    except StaleCaseError as exc:
        db.session.rollback()
        return render_template("cases/conflict.html", case=case, message=exc.message,
                               texts=_submitted_texts(form)), 409
    except DomainError as exc:
        if exc.status not in (400, 409):
            raise
        db.session.rollback()
        form.form_errors.append(exc.message)
        return render_case(case, {key: form}, status=exc.status, error=exc.message)
    db.session.commit()
    flash(message, "success")
    if can_open(current_user, case_id):  # not after a recusal or sending the case to another body
        return redirect(url_for("cases.detail", case_id=case_id))
    return redirect(url_for("cases.queue"))


def page_form(name: str) -> Form:
    """The case page's form `name`, filled from the request."""
    form_class, prefix = FORMS[name]
    return form_class(prefix=prefix)


M = TypeVar("M", bound=Model)


def chosen(model: type[M], value: str | None) -> M | None:
    """The row a select field chose (its value is the id), or None."""
    return db.session.get(model, int(value)) if value and value.isascii() and value.isdigit() else None


@blueprint.post("/cases/<int:case_id>/status/<target>")
@staff_required
def change_status(case_id: int, target: str) -> ResponseReturnValue:
    try:
        status = CaseStatus(target)
    except ValueError:
        abort(404)
    form = TransitionForm(prefix=f"to-{status.value}")

    def act(case: Case) -> str:
        transition = transition_for(case, status)
        operations.change_status(case, current_user, status, form.reason.data, form.response.data)
        return gettext(DONE_MESSAGES[transition.action]) if transition else gettext("Saved.")

    return perform(case_id, f"to:{status.value}", form, act)


@blueprint.post("/cases/<int:case_id>/assign")
@staff_required
def assign(case_id: int) -> ResponseReturnValue:
    form = page_form("assign")

    def act(case: Case) -> str:
        assignee = chosen(User, form.assignee.data)
        operations.assign_case(case, current_user, assignee)
        return (gettext("Assigned to %(name)s.", name=assignee.name) if assignee
                else gettext("The case is no longer assigned."))

    return perform(case_id, "assign", form, act)


@blueprint.post("/cases/<int:case_id>/recuse")
@staff_required
def recuse(case_id: int) -> ResponseReturnValue:
    form = page_form("recuse")

    def act(case: Case) -> str:
        operations.recuse_from_case(case, current_user, form.reason.data)
        return gettext("You recused yourself from %(reference)s. You can no longer open it.", reference=case.reference)

    return perform(case_id, "recuse", form, act)


@blueprint.post("/cases/<int:case_id>/notes")
@staff_required
def add_note(case_id: int) -> ResponseReturnValue:
    form = page_form("note")

    def act(case: Case) -> str:
        operations.add_note(case, current_user, form.text.data)
        return gettext("Note added. Only staff can see it.")

    return perform(case_id, "note", form, act)


@blueprint.post("/cases/<int:case_id>/retaliation-seen")
@staff_required
def retaliation_seen(case_id: int) -> ResponseReturnValue:
    form = page_form("retaliation_seen")

    def act(case: Case) -> str:
        mark_retaliation_seen(case, current_user)
        return gettext("The report of retaliation is marked seen. A new one will show again.")

    return perform(case_id, "retaliation_seen", form, act)


@blueprint.post("/cases/<int:case_id>/closure-words-read")
@staff_required
def closure_words_read(case_id: int) -> ResponseReturnValue:
    form = page_form("closure_words_read")

    def act(case: Case) -> str:
        mark_closure_words_read(case, current_user, form.through.data)
        return gettext("The complainant's words are marked read. New words will show again.")

    return perform(case_id, "closure_words_read", form, act)


@blueprint.post("/cases/<int:case_id>/messages")
@staff_required
def message(case_id: int) -> ResponseReturnValue:
    form = page_form("message")

    def act(case: Case) -> str:
        operations.message_complainant(case, current_user, form.text.data, bool(form.wait_for_reply.data))
        if form.wait_for_reply.data:
            return gettext("Message sent to the complainant. The deadline clock is stopped until they reply.")
        return gettext("Message sent to the complainant.")

    return perform(case_id, "message", form, act)


@blueprint.post("/cases/<int:case_id>/clock")
@staff_required
def clock(case_id: int) -> ResponseReturnValue:
    form = page_form("clock")

    def act(case: Case) -> str:
        operations.resume_clock(case, current_user)
        return gettext("The deadline clock is running again; deadlines moved by the time spent waiting.")

    return perform(case_id, "clock", form, act)


@blueprint.post("/cases/<int:case_id>/extend")
@staff_required
def extend(case_id: int) -> ResponseReturnValue:
    form = page_form("extend")

    def act(case: Case) -> str:
        operations.extend_deadline(case, current_user, form.days.data, form.reason.data)
        return gettext("The deadline to answer is extended; the complainant can read why.")

    return perform(case_id, "extend", form, act)


@blueprint.post("/cases/<int:case_id>/findings")
@staff_required
def findings(case_id: int) -> ResponseReturnValue:
    form = page_form("findings")

    def act(case: Case) -> str:
        outcome = Outcome(form.outcome.data) if form.outcome.data in {o.value for o in Outcome} else None
        operations.record_findings(case, current_user, outcome, form.findings.data)
        return gettext("Findings saved.")

    return perform(case_id, "findings", form, act)


@blueprint.post("/cases/<int:case_id>/recommendations")
@staff_required
def recommend(case_id: int) -> ResponseReturnValue:
    form = page_form("recommend")

    def act(case: Case) -> str:
        operations.add_recommendation(case, current_user, form.text.data)
        return gettext("Recommendation added.")

    return perform(case_id, "recommend", form, act)


@blueprint.post("/cases/<int:case_id>/recommendations/<int:recommendation_id>")
@staff_required
def remedy(case_id: int, recommendation_id: int) -> ResponseReturnValue:
    form = RemedyForm(prefix=f"remedy-{recommendation_id}")

    def act(case: Case) -> str:
        recommendation = db.session.get(Recommendation, recommendation_id)
        if recommendation is None or recommendation.case_id != case.id:
            raise NotFoundError(gettext("There is no such recommendation on this case."))
        operations.set_remedy_status(case, current_user, recommendation, RemedyStatus(form.status.data))
        return gettext("Remedy status updated.")

    return perform(case_id, f"remedy:{recommendation_id}", form, act)


@blueprint.post("/cases/<int:case_id>/draft-response")
@staff_required
def draft_response(case_id: int) -> ResponseReturnValue:
    form = page_form("draft_response")

    def act(case: Case) -> str:
        operations.save_draft_response(case, current_user, form.text.data)
        return gettext("Draft public response saved.")

    return perform(case_id, "draft_response", form, act)


# ---------------------------------------------------------------- deadlines (admins)

@blueprint.route("/deadlines")
@admin_required
def deadlines() -> str:
    forms = {body.id: _deadlines_form(body) for body in all_bodies(active_only=False)}
    return render_template("cases/deadlines.html", bodies=all_bodies(active_only=False), forms=forms)


def _deadlines_form(body: Body, formdata: Any = None) -> DeadlinesForm:
    return DeadlinesForm(prefix=f"body-{body.id}", formdata=formdata,
                         data={"version": body.deadlines_version,
                               **{name: getattr(body, name) for name in operations.DEADLINE_FIELDS}})


@blueprint.post("/deadlines/<int:body_id>")
@admin_required
def save_deadlines(body_id: int) -> ResponseReturnValue:
    body = db.session.get(Body, body_id) or abort(404)
    form = DeadlinesForm(prefix=f"body-{body.id}")
    status = 400
    if form.validate_on_submit():
        try:
            operations.update_body_deadlines(body, current_user, {n: form[n].data for n in operations.DEADLINE_FIELDS},
                                             form.version.data)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            status = exc.status
            form.version.data = str(body.deadlines_version)  # the values kept can be saved again, on purpose
        else:
            db.session.commit()
            flash(gettext("Deadlines of %(body)s saved. They apply to cases it receives from now on.",
                          body=body.local_name),
                  "success")
            return redirect(url_for("cases.deadlines", _anchor=f"body-{body.id}"))
    bodies = all_bodies(active_only=False)
    forms = {b.id: (form if b.id == body.id else _deadlines_form(b)) for b in bodies}
    return render_template("cases/deadlines.html", bodies=bodies, forms=forms), status


# ---------------------------------------------------------------- holidays (admins)

def _render_holidays(status: int = 200, **forms: Form) -> ResponseReturnValue:
    this_year = deployment_date().replace(month=1, day=1)
    return render_template("cases/holidays.html", holidays=holidays_from(this_year), since=this_year, remove_form=RemoveHolidayForm(),
                           form=forms.get("form") or HolidayForm(formdata=None),
                           import_form=forms.get("import_form") or HolidayImportForm(formdata=None)), status


@blueprint.route("/holidays")
@admin_required
def holiday_list() -> ResponseReturnValue:
    return _render_holidays()


@blueprint.post("/holidays")
@admin_required
def add_holiday() -> ResponseReturnValue:
    form = HolidayForm()
    if not form.validate_on_submit():
        return _render_holidays(400, form=form)
    try:
        holiday = holidays.set_holiday(current_user, form.day.data, form.name.data)
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _render_holidays(exc.status, form=form)
    db.session.commit()
    flash(gettext("%(name)s on %(date)s is a holiday. Deadlines set from now on skip it.", name=holiday.name,
                  date=holiday.day.isoformat()), "success")
    return redirect(url_for("cases.holiday_list"))


@blueprint.post("/holidays/import")
@admin_required
def import_holidays() -> ResponseReturnValue:
    form = HolidayImportForm()
    if not form.validate_on_submit():
        return _render_holidays(400, import_form=form)
    try:
        summary = holidays.import_holidays(current_user, holidays.parse_holiday_csv(form.csv.data))
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _render_holidays(exc.status, import_form=form)
    db.session.commit()
    flash(gettext("Holidays imported: %(added)s added, %(renamed)s renamed, %(unchanged)s unchanged.",
                  added=summary.added, renamed=summary.renamed, unchanged=summary.unchanged), "success")
    return redirect(url_for("cases.holiday_list"))


@blueprint.post("/holidays/<int:holiday_id>/remove")
@admin_required
def remove_holiday(holiday_id: int) -> ResponseReturnValue:
    holiday = db.session.get(Holiday, holiday_id) or abort(404)
    if not RemoveHolidayForm().validate_on_submit():
        abort(400)
    holidays.remove_holiday(current_user, holiday)
    db.session.commit()
    flash(gettext("Holiday removed. Deadlines set from now on count that day."), "success")
    return redirect(url_for("cases.holiday_list"))
