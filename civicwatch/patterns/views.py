"""Staff pages of patterns: the subject registers (read, and import a CSV file), the pattern alerts, and related
cases shared between bodies (the holding body's requests and grants, the asking body's restricted view)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from civicwatch.accounts.models import Role
from civicwatch.accounts.permissions import roles_required
from civicwatch.database import utcnow
from civicwatch.errors import DomainError, NotFoundError
from civicwatch.extensions import db
from civicwatch.forms import Form, confirmation_page, done_confirmed
from civicwatch.i18n import N_
from civicwatch.patterns.alerts import (
    TRANSITIONS,
    alert_word,
    change_alert_status,
    may_change_alert,
    may_see_alert,
)
from civicwatch.patterns.forms import KIND_LABELS, RegisterImportForm, RevokeShareForm, ShareDecisionForm
from civicwatch.patterns.models import AlertStatus, PatternAlert
from civicwatch.patterns.operations import import_subjects
from civicwatch.patterns.permissions import may_keep_register
from civicwatch.patterns.queries import alert_evidence, register_codes, register_page, visible_alerts
from civicwatch.patterns.register import parse_register
from civicwatch.patterns.sharing import (
    approve_share,
    incoming_shares,
    load_share,
    read_shared_case,
    refuse_share,
    require_revocable,
    revoke_share,
)
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.queries import all_bodies, name_choices
from civicwatch.templating import format_date

blueprint = Blueprint("patterns", __name__, url_prefix="/staff/patterns")


@blueprint.app_template_filter("alert_status")
def _alert_status(status: AlertStatus) -> str:
    return alert_word(status)

staff_readers = roles_required(Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR, Role.AUDITOR)
keepers = roles_required(Role.ADMIN, Role.INVESTIGATOR)
UPLOAD_MAX = 5 * 1024 * 1024


def _import_form() -> RegisterImportForm | None:
    bodies = [b for b in all_bodies(active_only=False) if may_keep_register(current_user, b)]
    if not bodies:
        return None
    form = RegisterImportForm()
    form.body.choices = name_choices(bodies)
    return form


def _render(form: RegisterImportForm | None, errors: list[str], status: int = 200) -> tuple[str, int]:
    return render_template("patterns/subjects.html", subjects=register_page(current_user), form=form,
                           errors=errors, kind_labels=KIND_LABELS), status


@blueprint.route("/subjects")
@staff_readers
def subjects() -> tuple[str, int]:
    return _render(_import_form(), [])


@blueprint.post("/subjects/import")
@keepers
def import_register() -> ResponseReturnValue:
    form = _import_form()
    if form is None or not form.validate_on_submit():
        return _render(form, [], 400)
    body = db.session.query(Body).filter_by(code=form.body.data).one()
    content = form.file.data.read(UPLOAD_MAX + 1)
    if len(content) > UPLOAD_MAX:
        return _render(form, [gettext("The file is larger than %(size)s MB.", size=UPLOAD_MAX // (1024 * 1024))], 400)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return _render(form, [gettext("The file is not UTF-8 text (save it from the spreadsheet as CSV UTF-8).")],
                       400)
    parsed = parse_register(text, *register_codes())
    if parsed.errors:
        return _render(form, parsed.errors, 400)
    try:
        report = import_subjects(body, current_user, parsed.rows)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    flash(report.summary(body.local_name), "success")
    return redirect(url_for("patterns.subjects"))


# ---------------------------------------------------------------- pattern alerts

def _alert(alert_id: int) -> PatternAlert:
    alert = db.session.get(PatternAlert, alert_id)
    if alert is None or not may_see_alert(current_user, alert):
        raise NotFoundError(gettext("There is no alert with that number, or it does not concern your body."))
    return alert


@blueprint.route("/alerts")
@staff_readers
def alerts() -> str:
    return render_template("patterns/alerts.html", alerts=visible_alerts(current_user))


@blueprint.route("/alerts/<int:alert_id>")
@staff_readers
def alert(alert_id: int) -> str:
    found = _alert(alert_id)
    targets = TRANSITIONS[found.status] if may_change_alert(current_user, found) else frozenset()
    return render_template("patterns/alert.html", alert=found, evidence=alert_evidence(found, current_user),
                           targets=sorted(targets, key=lambda s: s.value),
                           form=Form(), kind_labels=KIND_LABELS,
                           show_subject=found.subject is not None and (current_user.role is not Role.INVESTIGATOR
                                                                       or found.subject.body_id == current_user.body_id))


@blueprint.post("/alerts/<int:alert_id>/<target>")
@roles_required(Role.ADMIN, Role.TRIAGE, Role.INVESTIGATOR)
def change_alert(alert_id: int, target: str) -> ResponseReturnValue:
    try:
        status = AlertStatus(target)
    except ValueError:
        abort(404)
    found = _alert(alert_id)
    if not Form().validate_on_submit():
        abort(400)
    change_alert_status(found, current_user, status)
    db.session.commit()
    flash(gettext("The alert is now %(status)s.", status=alert_word(status)), "success")
    return redirect(url_for("patterns.alert", alert_id=alert_id))


# ---------------------------------------------------------------- sharing related cases with other bodies

@blueprint.route("/shares")
@roles_required(Role.INVESTIGATOR)
def shares() -> str:
    return render_template("patterns/shares.html", shares=incoming_shares(current_user), now=utcnow(),
                           form=ShareDecisionForm(formdata=None))


SHARE_DECISIONS = {"approve": N_("Shared."), "refuse": N_("Request refused.")}


@blueprint.post("/shares/<int:share_id>/<decision>")
@roles_required(Role.INVESTIGATOR)
def decide_share(share_id: int, decision: str) -> ResponseReturnValue:
    if decision not in SHARE_DECISIONS:
        abort(404)
    form = ShareDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    share = load_share(current_user, share_id)
    if decision == "approve":
        approve_share(share, current_user, form.days.data, form.reason.data)
    else:
        refuse_share(share, current_user, form.reason.data)
    db.session.commit()
    flash(gettext(SHARE_DECISIONS[decision]), "success")
    return redirect(url_for("patterns.shares"))


@blueprint.route("/shares/<int:share_id>/revoke", methods=["GET", "POST"])
@roles_required(Role.INVESTIGATOR)
def revoke_share_page(share_id: int) -> ResponseReturnValue:
    """Revoking a share is asked once more: the GET is its confirmation page, which carries the reason box."""
    share = load_share(current_user, share_id)
    form = RevokeShareForm()
    if form.is_confirmed() and done_confirmed(lambda: revoke_share(share, current_user, form.reason.data),
                                             form.reason):
        flash(gettext("Share revoked."), "success")
        return redirect(url_for("patterns.shares"))
    require_revocable(share, current_user)
    case, body = share.case.reference, share.body.local_name
    return confirmation_page(
        form, title=gettext("Revoke the share of %(case)s with %(body)s?", case=case, body=body),
        consequence=gettext("%(body)s can no longer read the shared view of %(case)s (its summary, allegations and "
                            "status). The share would have run until %(date)s.", body=body, case=case,
                            date=format_date(share.expires_at)),
        button=gettext("Revoke the share"), cancel=url_for("patterns.shares"), text=form.reason)


@blueprint.route("/shared/cases/<int:case_id>")
@staff_readers
def shared_case(case_id: int) -> str:
    view = read_shared_case(current_user, case_id)
    db.session.commit()  # the audit entry of this reading
    return render_template("patterns/shared_case.html", shared=view)
