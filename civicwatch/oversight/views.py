"""Browsing the audit log: admins and auditors, per case and per user, filtered and paged. Read-only: no route
changes an entry."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.accounts.permissions import roles_required
from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import Case
from civicwatch.cases.permissions import load_case, visible_cases
from civicwatch.database import ID_MAX
from civicwatch.errors import NotFoundError
from civicwatch.extensions import db
from civicwatch.oversight.forms import AuditFilterForm
from civicwatch.oversight.queries import AuditFilters, AuditPage, action_words, audit_page, object_words
from civicwatch.taxonomy.queries import all_bodies

blueprint = Blueprint("audit", __name__, url_prefix="/staff/audit")
readers_required = roles_required(Role.ADMIN, Role.AUDITOR)


@blueprint.app_template_filter("audit_action")
def _audit_action(action: str) -> str:
    return action_words(action)


@blueprint.app_template_filter("audit_object")
def _audit_object(object_type: str) -> str:
    return object_words(object_type)


def _cursor(name: str) -> int | None:
    value = request.args.get(name, type=int)
    # Out of any database's integer range: no such entry.
    return value if value is not None and 0 < value <= ID_MAX else None


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


def _filter_form() -> tuple[AuditFilterForm, AuditFilters]:
    form = AuditFilterForm(request.args)
    form.fill(list(db.session.scalars(select(User).order_by(User.name))), all_bodies(active_only=False))
    form.validate()  # a bad choice or date is shown beside its field and left out of the filters
    return form, AuditFilters(
        action=form.action.data or None if not form.action.errors else None,
        user_id=_number(form.user.data) if not form.user.errors else None,
        body_id=_number(form.body.data) if not form.body.errors else None,
        since=form.since.data if not form.since.errors else None,
        until=form.until.data if not form.until.errors else None)


def _render(title: str, case_id: int | None = None, user_id: int | None = None,
            **context: Any) -> ResponseReturnValue:
    form, filters = _filter_form()
    page: AuditPage = audit_page(current_user, filters, case_id=case_id, user_id=user_id,
                                 before=_cursor("before"), after=_cursor("after"))
    args = {k: v for k, v in request.args.items() if k not in ("before", "after") and v}
    return render_template("audit/log.html", page=page, form=form, filters=filters,
                           link_args={**(request.view_args or {}), **args}, title=title,
                           **context), (400 if form.errors else 200)


@blueprint.route("/")
@readers_required
def log() -> ResponseReturnValue:
    reference = (request.args.get("reference") or "").strip().upper()
    if reference:
        case = db.session.scalar(visible_cases(current_user).where(Case.reference == reference))
        if case is None:
            raise NotFoundError(gettext("There is no case %(reference)s.", reference=reference))
        kept: dict[str, Any] = {k: v for k, v in request.args.items() if k not in ("reference", "before", "after") and v}
        return redirect(url_for("audit.case_log", case_id=case.id, **kept))
    return _render(gettext("Audit log"))


@blueprint.route("/cases/<int:case_id>")
@readers_required
def case_log(case_id: int) -> ResponseReturnValue:
    case = load_case(current_user, case_id)  # 404 for a case the reader is recused from, as on the case page
    record_audit(current_user, "audit.view_case", case)  # reading a case's trail is itself on the record
    db.session.commit()
    return _render(gettext("Audit log of %(name)s", name=case.reference), case_id=case_id, subject_case=case)


@blueprint.route("/users/<int:user_id>")
@readers_required
def user_log(user_id: int) -> ResponseReturnValue:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError(gettext("There is no such staff member."))
    record_audit(current_user, "audit.view_user", user)
    db.session.commit()
    return _render(gettext("Audit log of %(name)s", name=user.name), user_id=user_id, subject_user=user)
