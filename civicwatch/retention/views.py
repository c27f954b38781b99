"""The retention page (schedules and the dry run, per body) for admins, and legal holds on the case page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from civicwatch.accounts.models import User
from civicwatch.accounts.permissions import staff_required
from civicwatch.cases.models import Case
from civicwatch.cases.pages import add_case_panel
from civicwatch.cases.permissions import load_case
from civicwatch.database import utcnow
from civicwatch.errors import DomainError, PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.forms import Form
from civicwatch.i18n import current_language
from civicwatch.retention import operations
from civicwatch.retention.forms import HoldForm, RemoveScheduleForm, ScheduleForm
from civicwatch.retention.permissions import is_retention_admin, managed_body_ids, may_manage_body
from civicwatch.retention.queries import (
    ERASABLE,
    DueCase,
    active_hold,
    by_body,
    due_cases,
    erasure_of,
    holds_of,
    schedules,
    without_recused,
)
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.queries import all_bodies, name_choices, recorded_body_name

blueprint = Blueprint("retention", __name__, url_prefix="/staff")


def _require_admin() -> None:
    if not is_retention_admin(current_user):
        abort(403)


def _body_choices(user: User) -> list[tuple[str, str]]:
    if user.body_id is not None:
        return name_choices([user.body]) if user.body else []
    return [("", gettext("Every body without its own schedule"))] + name_choices(all_bodies())


@blueprint.route("/retention")
@staff_required
def index() -> ResponseReturnValue:
    _require_admin()
    form = ScheduleForm()
    form.body.choices = _body_choices(current_user)
    return render_template("retention/index.html", schedules=schedules(managed_body_ids(current_user)), form=form,
                           remove_form=RemoveScheduleForm(), erasable=ERASABLE)


@blueprint.post("/retention/schedules")
@staff_required
def set_schedule() -> ResponseReturnValue:
    _require_admin()
    form = ScheduleForm()
    if not form.validate_on_submit():
        raise DomainError(gettext("The form has expired. Reload the page and try again."))
    operations.set_schedule(current_user, operations.find_body(form.body.data), operations.parse_status(
        form.status.data), operations.parse_months(form.months.data))
    db.session.commit()
    flash(gettext("Schedule saved."))
    return redirect(url_for("retention.index"))


@blueprint.post("/retention/schedules/remove")
@staff_required
def remove_schedule() -> ResponseReturnValue:
    _require_admin()
    if not RemoveScheduleForm().validate_on_submit():
        raise DomainError(gettext("The form has expired. Reload the page and try again."))
    operations.remove_schedule(current_user, operations.find_body(request.form.get("body")),
                               operations.parse_status(request.form.get("status")))
    db.session.commit()
    flash(gettext("Schedule removed."))
    return redirect(url_for("retention.index"))


@blueprint.route("/retention/dry-run")
@staff_required
def dry_run() -> ResponseReturnValue:
    """What `retention apply` would erase today, per body, of the bodies the admin manages. Changes nothing."""
    _require_admin()
    body_ids = managed_body_ids(current_user)
    body: Body | None = operations.find_body(request.args.get("body"))
    if body is not None:
        if not may_manage_body(current_user, body.id):
            raise PermissionDeniedError(gettext("Only an admin of that body, or of the whole deployment, sees its dry run."))
        body_ids = [body.id]
    today = utcnow().date()
    due, recused = without_recused(due_cases(today, body_ids, include_held=True), current_user)
    return render_template("retention/dry_run.html", today=today, body=body, groups=_titled(by_body(due)),
                           recused=recused)


def _titled(groups: dict[str, list[DueCase]]) -> dict[str, list[DueCase]]:
    """The dry run's groups under their body's name in the page's language (the CLI keeps the stored names)."""
    language = current_language()
    return {recorded_body_name(name, language) if items[0].body_id is not None
            else gettext("Triage queue (no body yet)"): items for name, items in groups.items()}


def _hold_action(case_id: int, place: bool) -> ResponseReturnValue:
    case = load_case(current_user, case_id)
    form = HoldForm(prefix="hold")
    if not form.validate_on_submit():
        raise DomainError(gettext("The form has expired. Reload the page and try again."))
    if place:
        operations.place_hold(current_user, case, form.reason.data)
    else:
        operations.lift_hold(current_user, case, form.reason.data)
    db.session.commit()
    flash(gettext("Legal hold placed: nothing of this case is erased until it is lifted.") if place else
          gettext("Legal hold lifted: the retention schedule applies again."))
    return redirect(url_for("cases.detail", case_id=case.id))


@blueprint.post("/cases/<int:case_id>/legal-hold")
@staff_required
def place_hold(case_id: int) -> ResponseReturnValue:
    return _hold_action(case_id, place=True)


@blueprint.post("/cases/<int:case_id>/legal-hold/lift")
@staff_required
def lift_hold(case_id: int) -> ResponseReturnValue:
    return _hold_action(case_id, place=False)


def retention_panel(case: Case, user: User, submitted: dict[str, Form]) -> str:
    manages = may_manage_body(user, case.body_id)
    return render_template("retention/_case_retention.html", case=case, erasure=erasure_of(case),
                           hold=active_hold(case), holds=holds_of(case) if manages else [],
                           form=HoldForm(prefix="hold", formdata=None) if manages else None)


add_case_panel(retention_panel)
