"""The identity page of a case (masked details, requests, the details under a running grant), the page of a
file's sealed original (its hash, requests, the download under a running grant) and the custodians' queue."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from civicwatch.accounts.permissions import from_our_pages, staff_required
from civicwatch.cases.identity import masked_contact
from civicwatch.cases.models import Attachment, Case
from civicwatch.cases.originals import has_original, original_response
from civicwatch.cases.permissions import load_case
from civicwatch.database import utcnow
from civicwatch.disclosure import operations
from civicwatch.disclosure.forms import (
    SCOPE_LABELS,
    ApproveForm,
    DisclosureRequestForm,
    OriginalRequestForm,
    RefuseForm,
    RevokeForm,
)
from civicwatch.disclosure.models import DisclosureRequest, DisclosureScope
from civicwatch.disclosure.permissions import is_custodian, may_request
from civicwatch.disclosure.queries import custodian_queue, requests_of
from civicwatch.errors import DomainError, NotFoundError
from civicwatch.extensions import db
from civicwatch.forms import confirmation_page, done_confirmed
from civicwatch.templating import format_datetime

blueprint = Blueprint("disclosure", __name__, url_prefix="/staff")


@blueprint.route("/cases/<int:case_id>/identity")
@staff_required
@from_our_pages
def identity(case_id: int) -> ResponseReturnValue:
    case = load_case(current_user, case_id)
    now = utcnow()
    contact = None
    if operations.usable_grant(case, current_user, now) is not None:
        contact = operations.reveal_identity(case, current_user)
        db.session.commit()
    return render_template("disclosure/identity.html", case=case, masked=masked_contact(case), contact=contact,
                           requests=_listed(requests_of(case, current_user), case, now), form=DisclosureRequestForm(), may_request=may_request(current_user, case),
                           scope_labels=SCOPE_LABELS)


def _listed(requests: list[DisclosureRequest], case: Case, now: dt.datetime) -> list[tuple[DisclosureRequest, str]]:
    """The user's own requests, each with its state in the reader's language."""
    return [(item, gettext(operations.STATE_LABELS[operations.request_state(item, current_user, case, now)]))
            for item in requests]


@blueprint.post("/cases/<int:case_id>/identity/requests")
@staff_required
def request_identity(case_id: int) -> ResponseReturnValue:
    case = load_case(current_user, case_id)
    form = DisclosureRequestForm()
    try:
        scope = DisclosureScope(form.scope.data)
    except ValueError:
        raise DomainError(gettext("Choose who will see the identity.")) from None
    operations.request_disclosure(case, current_user, scope, form.reason.data, form.recipient.data)
    db.session.commit()
    flash(gettext("Your request was sent to the identity custodians."))
    return redirect(url_for("disclosure.identity", case_id=case.id))


@blueprint.route("/cases/<int:case_id>/attachments/<int:attachment_id>/original")
@staff_required
def original(case_id: int, attachment_id: int) -> ResponseReturnValue:
    item = _load_attachment(case_id, attachment_id)
    now = utcnow()
    granted = operations.usable_grant(item.case, current_user, now, item) is not None
    return render_template("disclosure/original.html", case=item.case, item=item, granted=granted,
                           requests=_listed(requests_of(item.case, current_user, item), item.case, now),
                           form=OriginalRequestForm(),
                           may_request=may_request(current_user, item.case) and has_original(item))


@blueprint.post("/cases/<int:case_id>/attachments/<int:attachment_id>/original/requests")
@staff_required
def request_original(case_id: int, attachment_id: int) -> ResponseReturnValue:
    item = _load_attachment(case_id, attachment_id)
    operations.request_original(item, current_user, OriginalRequestForm().reason.data)
    db.session.commit()
    flash(gettext("Your request was sent to the custodians."))
    return redirect(url_for("disclosure.original", case_id=case_id, attachment_id=attachment_id))


@blueprint.route("/cases/<int:case_id>/attachments/<int:attachment_id>/original/download")
@staff_required
@from_our_pages
def download_original(case_id: int, attachment_id: int) -> ResponseReturnValue:
    item = _load_attachment(case_id, attachment_id)
    data = operations.open_original(item, current_user)
    db.session.commit()
    return original_response(item, data)


def _load_attachment(case_id: int, attachment_id: int) -> Attachment:
    case = load_case(current_user, case_id)
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.case_id != case.id:
        raise NotFoundError(gettext("There is no such file on this case."))
    return item


@blueprint.route("/disclosures")
@staff_required
def queue() -> ResponseReturnValue:
    if not is_custodian(current_user):
        abort(403)
    pending, decided = custodian_queue(current_user)
    return render_template("disclosure/queue.html", pending=pending, decided=decided, now=utcnow(),
                           approve_form=ApproveForm(), refuse_form=RefuseForm())


@blueprint.post("/disclosures/<int:request_id>/approve")
@staff_required
def approve(request_id: int) -> ResponseReturnValue:
    form = ApproveForm()
    operations.approve_disclosure(operations.load_request(request_id, current_user), current_user, form.hours.data,
                                  form.legal_bar.data, form.note.data)
    db.session.commit()
    flash(gettext("Request approved."))
    return redirect(url_for("disclosure.queue"))


@blueprint.post("/disclosures/<int:request_id>/refuse")
@staff_required
def refuse(request_id: int) -> ResponseReturnValue:
    disclosure = operations.load_request(request_id, current_user)
    operations.refuse_disclosure(disclosure, current_user, RefuseForm().note.data)
    db.session.commit()
    flash(gettext("Request refused."))
    return redirect(url_for("disclosure.queue"))


@blueprint.route("/disclosures/<int:request_id>/revoke", methods=["GET", "POST"])
@staff_required
def revoke(request_id: int) -> ResponseReturnValue:
    """Ending a grant is asked once more: the GET is its confirmation page, which carries the note box."""
    grant = operations.load_request(request_id, current_user)
    form = RevokeForm()
    if form.is_confirmed() and done_confirmed(
            lambda: operations.revoke_disclosure(grant, current_user, form.note.data), form.note):
        flash(gettext("The grant was ended."))
        return redirect(url_for("disclosure.queue"))
    operations.require_revocable(grant, current_user)
    holder, case = grant.requester.name, grant.case.reference
    until = format_datetime(grant.expires_at)
    return confirmation_page(
        form, title=gettext("End the grant of %(name)s on %(case)s now?", name=holder, case=case),
        consequence=gettext(
            "%(name)s can no longer open the sealed original of “%(file)s” of %(case)s. The grant would have run "
            "until %(until)s.", name=holder, file=grant.attachment.original_name, case=case, until=until)
        if grant.attachment else gettext(
            "%(name)s can no longer see the identity of the complainant of %(case)s. The grant would have run "
            "until %(until)s.", name=holder, case=case, until=until),
        button=gettext("End the grant"), cancel=url_for("disclosure.queue"), text=form.note)
