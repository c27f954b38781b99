"""The identity page of a case (masked details, requests, the details under a running grant) and the
custodians' queue of requests."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from civicwatch.accounts.permissions import staff_required
from civicwatch.cases.identity import masked_contact
from civicwatch.cases.permissions import load_case
from civicwatch.database import utcnow
from civicwatch.disclosure import operations
from civicwatch.disclosure.forms import ApproveForm, DisclosureRequestForm, RefuseForm
from civicwatch.disclosure.models import DisclosureScope
from civicwatch.disclosure.permissions import is_custodian, may_request
from civicwatch.disclosure.queries import custodian_queue, requests_of
from civicwatch.errors import DomainError
from civicwatch.extensions import db

blueprint = Blueprint("disclosure", __name__, url_prefix="/staff")


@blueprint.route("/cases/<int:case_id>/identity")
@staff_required
def identity(case_id: int) -> ResponseReturnValue:
    case = load_case(current_user, case_id)
    now = utcnow()
    contact = None
    if operations.active_grant(case, current_user, now) is not None:
        contact = operations.reveal_identity(case, current_user)
        db.session.commit()
    return render_template("disclosure/identity.html", case=case, masked=masked_contact(case), contact=contact,
                           requests=requests_of(case, current_user), now=now, form=DisclosureRequestForm(),
                           may_request=may_request(current_user, case))


@blueprint.post("/cases/<int:case_id>/identity/requests")
@staff_required
def request_identity(case_id: int) -> ResponseReturnValue:
    case = load_case(current_user, case_id)
    form = DisclosureRequestForm()
    try:
        scope = DisclosureScope(form.scope.data)
    except ValueError:
        raise DomainError("Choose who will see the identity.") from None
    operations.request_disclosure(case, current_user, scope, form.reason.data, form.recipient.data)
    db.session.commit()
    flash("Your request was sent to the identity custodians.")
    return redirect(url_for("disclosure.identity", case_id=case.id))


@blueprint.route("/disclosures")
@staff_required
def queue() -> ResponseReturnValue:
    if not is_custodian(current_user):
        abort(403)
    pending, decided = custodian_queue()
    return render_template("disclosure/queue.html", pending=pending, decided=decided, now=utcnow(),
                           approve_form=ApproveForm(), refuse_form=RefuseForm())


@blueprint.post("/disclosures/<int:request_id>/approve")
@staff_required
def approve(request_id: int) -> ResponseReturnValue:
    form = ApproveForm()
    operations.approve_disclosure(operations.load_request(request_id), current_user, form.hours.data,
                                  form.legal_bar.data, form.note.data)
    db.session.commit()
    flash("Request approved.")
    return redirect(url_for("disclosure.queue"))


@blueprint.post("/disclosures/<int:request_id>/refuse")
@staff_required
def refuse(request_id: int) -> ResponseReturnValue:
    operations.refuse_disclosure(operations.load_request(request_id), current_user, RefuseForm().note.data)
    db.session.commit()
    flash("Request refused.")
    return redirect(url_for("disclosure.queue"))
