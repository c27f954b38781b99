"""Browsing the audit log: admins and auditors, per case and per user. Read-only: no route changes an entry."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.accounts.permissions import roles_required
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.audit.queries import audit_entries
from civicwatch.cases.models import Case
from civicwatch.cases.permissions import load_case, visible_cases
from civicwatch.errors import NotFoundError
from civicwatch.extensions import db

blueprint = Blueprint("audit", __name__, url_prefix="/staff/audit")
readers_required = roles_required(Role.ADMIN, Role.AUDITOR)
PAGE_SIZE = 100


def _page(case_id: int | None = None, user_id: int | None = None,
          ) -> tuple[list[AuditEntry], dict[int, User], dict[int, str], int | None]:
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before < 2**63:  # out of any database's integer range: no such entry
        before = None
    visible = visible_cases(current_user).with_only_columns(Case.id)
    entries = audit_entries(visible, case_id=case_id, user_id=user_id, limit=PAGE_SIZE + 1, before_seq=before)
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    ids = {e.user_id for e in entries if e.user_id} | {e.case_id for e in entries if e.case_id}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    cases = dict(db.session.execute(select(Case.id, Case.reference).where(
        Case.id.in_({e.case_id for e in entries if e.case_id}))).tuples().all())
    return entries, users, cases, (entries[-1].seq if more and entries else None)


@blueprint.route("/")
@readers_required
def log() -> ResponseReturnValue:
    reference = (request.args.get("reference") or "").strip().upper()
    if reference:
        case = db.session.scalar(visible_cases(current_user).where(Case.reference == reference))
        if case is None:
            raise NotFoundError(f"There is no case {reference}.")
        return redirect(url_for("audit.case_log", case_id=case.id))
    entries, users, cases, next_before = _page()
    return render_template("audit/log.html", entries=entries, users=users, cases=cases, next_before=next_before,
                           title="Audit log", staff=list(db.session.scalars(select(User).order_by(User.name))))


@blueprint.route("/cases/<int:case_id>")
@readers_required
def case_log(case_id: int) -> str:
    case = load_case(current_user, case_id)  # 404 for a case the reader is recused from, as on the case page
    record_audit(current_user, "audit.view_case", case)  # reading a case's trail is itself on the record
    db.session.commit()
    entries, users, cases, next_before = _page(case_id=case_id)
    return render_template("audit/log.html", entries=entries, users=users, cases=cases, next_before=next_before,
                           title=f"Audit log of {case.reference}", subject_case=case)


@blueprint.route("/users/<int:user_id>")
@readers_required
def user_log(user_id: int) -> str:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError("There is no such staff member.")
    record_audit(current_user, "audit.view_user", user)
    db.session.commit()
    entries, users, cases, next_before = _page(user_id=user_id)
    return render_template("audit/log.html", entries=entries, users=users, cases=cases, next_before=next_before,
                           title=f"Audit log of {user.name}", subject_user=user)
