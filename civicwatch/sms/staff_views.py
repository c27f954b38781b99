"""The admin's page of the SMS line: the outbox (what failed, and a button to send it again) and the inbox
(texts waiting for the worker, texts set aside). Here in sms, above messaging, because it shows both."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from civicwatch.accounts.permissions import admin_required
from civicwatch.errors import NotFoundError
from civicwatch.extensions import db
from civicwatch.messaging.operations import retry_message
from civicwatch.messaging.queries import failed_messages, get_message, outbox_counts
from civicwatch.sms.forms import RetryForm
from civicwatch.sms.inbox import retry_set_aside_texts, waiting_texts

blueprint = Blueprint("outbox", __name__, url_prefix="/staff/outbox")


@blueprint.get("/")
@admin_required
def index() -> ResponseReturnValue:
    waiting, set_aside = waiting_texts()
    return render_template("sms/outbox.html", counts=outbox_counts(), failed=failed_messages(),
                           form=RetryForm(), texts_waiting=waiting, texts_set_aside=set_aside)


@blueprint.post("/<int:message_id>/retry")
@admin_required
def retry(message_id: int) -> ResponseReturnValue:
    form = RetryForm()
    if not form.validate_on_submit():
        flash("The form expired. Reload the page and try again.", "error")
        return redirect(url_for("outbox.index"))
    message = get_message(message_id)
    if message is None:
        raise NotFoundError("There is no such message.")
    retry_message(message, current_user)
    db.session.commit()
    flash(f"Message {message_id} will be sent again.", "success")
    return redirect(url_for("outbox.index"))


@blueprint.post("/texts/retry")
@admin_required
def retry_texts() -> ResponseReturnValue:
    if not RetryForm().validate_on_submit():
        flash("The form expired. Reload the page and try again.", "error")
        return redirect(url_for("outbox.index"))
    count = retry_set_aside_texts(current_user)
    db.session.commit()
    flash(f"{count} {'text goes' if count == 1 else 'texts go'} back to the worker." if count
          else "No texts were set aside.", "success" if count else "info")
    return redirect(url_for("outbox.index"))
