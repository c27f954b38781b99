"""The staff page of the SMS line: the outbox (each text still to be sent, what failed, and for admins a button to
send it again) and, for admins, the inbox (texts waiting for the worker, texts set aside). Here in sms, above
messaging and cases, because it shows both and each member of staff sees only their cases' texts."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from flask_login import current_user

from civicwatch.accounts.models import Role
from civicwatch.accounts.permissions import admin_required, staff_required
from civicwatch.errors import NotFoundError
from civicwatch.extensions import db
from civicwatch.intake.queue import QueueState, queue_state, retry_failed_reports
from civicwatch.messaging.operations import retry_message
from civicwatch.sms.forms import RetryForm
from civicwatch.sms.inbox import waiting_texts
from civicwatch.sms.queries import (
    error_in_words,
    visible_failed_messages,
    visible_held_for_quiet_hours,
    visible_message,
    visible_not_safe_count,
    visible_outbox_counts,
    waiting_page,
)
from civicwatch.sms.set_aside import SetAsideTexts, keep_days, retry_set_aside_texts, set_aside_texts

blueprint = Blueprint("outbox", __name__, url_prefix="/staff/outbox")


@blueprint.get("/")
@staff_required
def index() -> ResponseReturnValue:
    is_admin = current_user.role is Role.ADMIN
    waiting = waiting_texts() if is_admin else 0
    set_aside = set_aside_texts() if is_admin else SetAsideTexts(0, None)
    reports = queue_state() if is_admin else QueueState(0, 0)
    return render_template("sms/outbox.html", counts=visible_outbox_counts(current_user),
                           waiting=waiting_page(current_user, request.args.get("page", 1, type=int) or 1),
                           failed=visible_failed_messages(current_user), is_admin=is_admin,
                           error_in_words=error_in_words, form=RetryForm(), texts_waiting=waiting, texts_set_aside=set_aside.count,
                           set_aside_erased_at=set_aside.oldest_erased_at, set_aside_keep_days=keep_days(),
                           quiet_held=visible_held_for_quiet_hours(current_user),
                           not_safe=visible_not_safe_count(current_user), reports=reports)


@blueprint.post("/<int:message_id>/retry")
@admin_required
def retry(message_id: int) -> ResponseReturnValue:
    form = RetryForm()
    if not form.validate_on_submit():
        flash(gettext("The form expired. Reload the page and try again."), "error")
        return redirect(url_for("outbox.index"))
    message = visible_message(current_user, message_id)
    if message is None:
        raise NotFoundError(gettext("There is no such message."))
    retry_message(message, current_user)
    db.session.commit()
    flash(gettext("Message %(id)s will be sent again.", id=message_id), "success")
    return redirect(url_for("outbox.index"))


@blueprint.post("/reports/retry")
@admin_required
def retry_reports() -> ResponseReturnValue:
    if not RetryForm().validate_on_submit():
        flash(gettext("The form expired. Reload the page and try again."), "error")
        return redirect(url_for("outbox.index"))
    count = retry_failed_reports(current_user)
    db.session.commit()
    flash(ngettext("%(num)s web report goes back to the worker.", "%(num)s web reports go back to the worker.", count)
          if count else gettext("No web report had failed."), "success" if count else "info")
    return redirect(url_for("outbox.index"))


@blueprint.post("/texts/retry")
@admin_required
def retry_texts() -> ResponseReturnValue:
    if not RetryForm().validate_on_submit():
        flash(gettext("The form expired. Reload the page and try again."), "error")
        return redirect(url_for("outbox.index"))
    count = retry_set_aside_texts(current_user)
    db.session.commit()
    flash(ngettext("%(num)s text goes back to the worker.", "%(num)s texts go back to the worker.", count) if count
          else gettext("No texts were set aside."), "success" if count else "info")
    return redirect(url_for("outbox.index"))
