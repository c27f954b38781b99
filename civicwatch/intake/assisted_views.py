"""Staff page: enter a complaint on someone's behalf, then print the receipt slip to hand over."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_login import current_user
from markupsafe import Markup

from civicwatch.accounts.permissions import roles_required
from civicwatch.extensions import db
from civicwatch.intake import sessions
from civicwatch.intake.assisted import ASSISTING_ROLES, may_show_slip_again, receive_assisted_complaint
from civicwatch.intake.assisted_forms import AssistedReportForm
from civicwatch.intake.idempotency import EarlierSubmission, find_earlier
from civicwatch.intake.operations import Receipt
from civicwatch.intake.validation import SubmissionError
from civicwatch.settings import public_sms_number
from civicwatch.taxonomy.queries import all_regions

blueprint = Blueprint("assisted", __name__, url_prefix="/staff/assisted")
log = logging.getLogger(__name__)


@blueprint.route("/", methods=["GET", "POST"])
@roles_required(*ASSISTING_ROLES)
def new() -> ResponseReturnValue:
    form = AssistedReportForm()
    # Read before the complaint's commit expires the user: after it, the slip must not need the database.
    assistant_id = current_user.id
    key = form.idempotency_key(assistant_id) if form.is_submitted() else None
    if key is not None and (earlier := find_earlier(key)) is not None:
        # the same form sent twice: its case is stored already
        return _hand_over(earlier, form.language.data, assistant_id)
    if form.validate_on_submit() and key is not None:
        try:
            outcome = receive_assisted_complaint(current_user, form.submission(), form.assistance(), key)
        except SubmissionError as exc:
            db.session.rollback()
            field = form._fields.get(exc.field or "") or form.text
            field.errors = [*field.errors, exc.message]
        else:
            return _hand_over(outcome, form.language.data, assistant_id)
    return render_template("intake/assisted.html", form=form, regions=all_regions()), (400 if form.errors else 200)


def _hand_over(outcome: Receipt | EarlierSubmission, language: str, assistant_id: int) -> ResponseReturnValue:
    log.info("assisted report: case %s%s", outcome.case_id,
             " was stored already" if isinstance(outcome, EarlierSubmission) else " stored")
    if outcome.code is None or not may_show_slip_again(outcome):  # sent again after the slip's window
        return render_template("intake/assisted_receipt.html", reference=outcome.reference, slip=None)
    sessions.remember_assisted_receipt(outcome.reference, outcome.code, language, assistant_id)
    return redirect(url_for("assisted.receipt"), code=303)


@blueprint.get("/receipt")
@roles_required(*ASSISTING_ROLES)
def receipt() -> ResponseReturnValue:
    """Shown once: the slip, in the complainant's language, to print and hand over (no script needed)."""
    stored = sessions.take_assisted_receipt(current_user.id)
    if stored is None:
        return render_template("intake/assisted_receipt.html", reference=None, slip=None), 410
    language = stored["language"] if stored["language"] in current_app.config["LANGUAGES"] else None
    with force_locale(language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        slip = render_template("intake/_assisted_slip.html", reference=stored["reference"], code=stored["code"],
                               sms_number=public_sms_number(current_app.config))
    return render_template("intake/assisted_receipt.html", reference=stored["reference"], slip=Markup(slip))
