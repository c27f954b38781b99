"""Twilio's webhooks (inbound texts, delivery status) and the SMS simulator pages.

The webhooks carry their own secret (Twilio's signature): no CSRF token, session or rate limit applies.
Without TWILIO_AUTH_TOKEN they do not exist (404): there is no unsigned mode.
"""
from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.exc import DBAPIError
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import MultiDict

from civicwatch.accounts.models import Role
from civicwatch.clients import client_key
from civicwatch.extensions import db
from civicwatch.messaging.operations import record_delivery_status
from civicwatch.messaging.senders import SendReference, simulator_allowed
from civicwatch.messaging.whatsapp import expire_session
from civicwatch.phones import SMS, TEXT_CHANNELS, WHATSAPP, contact_hash, normalise_sender, twilio_address
from civicwatch.sms.forms import SimulatorDayForm, SimulatorPhoneForm, SimulatorTextForm
from civicwatch.sms.inbox import accept_text, process_inbox
from civicwatch.sms.signatures import signature_problem
from civicwatch.sms.simulator import (
    deliver_to_simulator,
    known_phones,
    phone_transcript,
    simulated_message_sid,
    undelivered_counts,
)
from civicwatch.webhooks import signed_webhook

log = logging.getLogger(__name__)

blueprint = Blueprint("sms", __name__, url_prefix="/sms")

_SID = re.compile(r"^[A-Za-z0-9]{10,64}$")
_SIMULATOR_PHONE = "sms_simulator_phone"
_SIMULATOR_CHANNEL = "sms_simulator_channel"


def require_twilio_signature() -> None:
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not token:
        abort(404)
    problem = signature_problem(request, token, current_app.config["PUBLIC_BASE_URL"])
    if problem:
        # Never the body, the sender or the address: what was wrong, and a keyed hash of where it came from.
        log.warning("twilio webhook %s refused: %s signature (client %s)", request.path, problem,
                    client_key("webhook-client", request.remote_addr)[:16])
        abort(403)


# Every answer to the webhook: the reply itself comes from the outbox once a worker has read the text.
EMPTY_TWIML = str(MessagingResponse())


def message_sid_of(form: MultiDict) -> str:
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not _SID.match(sid):
        abort(400)
    return sid


def media_count_of(form: MultiDict) -> int:
    """How many files came with the message (Twilio's NumMedia; WhatsApp photos and voice notes)."""
    count = form.get("NumMedia") or "0"
    if not (count.isascii() and count.isdigit()) or len(count) > 3:
        abort(400)
    return int(count)


# How long Twilio is asked to wait before it sends a webhook again that the database could not take.
RETRY_AFTER_SECONDS = 30


def retried_when_the_database_fails(view: Callable[..., Any]) -> Callable[..., Any]:
    """Nothing was stored (each webhook writes in one transaction): answer 503 with Retry-After, which
    Twilio's retry (and fallback URL) acts on, never a 200 that would lose the text or the status."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DBAPIError as error:
            try:
                db.session.rollback()
            except DBAPIError:  # the connection is gone; the pool replaces it
                pass
            log.warning("twilio webhook %s: the database refused the write (%s); Twilio asked to retry",
                        request.path, type(error).__name__)
            return Response("", 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, mimetype="text/plain")

    return wrapped


@blueprint.post("/inbound")
@signed_webhook
@retried_when_the_database_fails
def inbound() -> Response:
    """Keep the text (once per MessageSid) and acknowledge it; a worker answers it through the outbox. SMS and
    WhatsApp alike: Twilio writes a WhatsApp sender as "whatsapp:+232...", and the reply goes back that way."""
    require_twilio_signature()
    accept_text(message_sid_of(request.form), request.form.get("From") or "", request.form.get("Body") or "",
                media=media_count_of(request.form))
    return Response(EMPTY_TWIML, mimetype="text/xml")


@blueprint.post("/status")
@signed_webhook
@retried_when_the_database_fails
def delivery_status() -> tuple[str, int]:
    """A message's delivery status. The URL's query names the outbox row and claim the send was for (Twilio
    signs the whole URL, so it is as trustworthy as the form): the SID of a send whose answer was lost is recorded
    from it."""
    require_twilio_signature()
    sid = message_sid_of(request.form)
    try:
        reference = SendReference.from_query(request.args)
    except ValueError:
        abort(400)
    record_delivery_status(sid, (request.form.get("MessageStatus") or "").lower(),
                           twilio_error_code(request.form.get("ErrorCode")), reference)
    db.session.commit()
    return "", 204


def twilio_error_code(value: str | None) -> int | None:
    """Twilio's error code (five digits): kept when it is a number the database's integer column holds; anything
    else is dropped, and the delivery status it came with is still kept."""
    code = (value or "").strip()
    return int(code) if code.isascii() and code.isdigit() and len(code) <= 9 else None


# ---------------------------------------------------------------- the simulator (never in production)

# Headers a reverse proxy adds: a request through a proxy on this machine comes from the loopback address too,
# on behalf of anyone.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port",
                 "X-Forwarded-Prefix", "X-Forwarded-Server", "X-Real-IP", "X-Client-IP", "Client-IP",
                 "True-Client-IP", "CF-Connecting-IP", "X-Original-Forwarded-For", "Via")


def simulator_enabled() -> bool:
    """Only where the simulator may exist (outside production, without Twilio credentials), and only for a
    signed-in admin or someone at the machine itself: it shows whole conversations without a sign-in, phone
    numbers and receipt codes included."""
    if not simulator_allowed(current_app.config):
        return False
    if current_user.is_authenticated and current_user.role is Role.ADMIN:
        return True
    return _from_this_machine()


def _from_this_machine() -> bool:
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def simulator_only(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not simulator_enabled():
            abort(404)
        return view(*args, **kwargs)

    return wrapped


@blueprint.route("/simulator", methods=["GET", "POST"])
@simulator_only
def simulator() -> ResponseReturnValue:
    form = SimulatorPhoneForm()
    if form.validate_on_submit():
        phone = normalise_sender(form.phone.data)
        if phone is not None:
            session[_SIMULATOR_PHONE] = phone
            session[_SIMULATOR_CHANNEL] = form.channel.data if form.channel.data in TEXT_CHANNELS else SMS
            return redirect(url_for("sms.simulator_phone"))
        form.phone.errors.append(gettext("This is not a phone number. Write it with the country code, "
                                         "for example +232 76 123456."))
    phones = known_phones(current_app.config.get("SMS_SIMULATOR_PHONES", ()))
    return render_template("sms/simulator.html", form=form, phones=phones), (400 if form.errors else 200)


@blueprint.route("/simulator/phone", methods=["GET", "POST"])
@simulator_only
def simulator_phone() -> ResponseReturnValue:
    phone = session.get(_SIMULATOR_PHONE)
    if not phone:
        return redirect(url_for("sms.simulator"))
    channel = session.get(_SIMULATOR_CHANNEL, SMS)
    form = SimulatorTextForm()
    if form.validate_on_submit():
        # Straight through the inbox: the simulator plays both Twilio and the worker.
        accept_text(simulated_message_sid(), twilio_address(phone, channel), form.body.data or "")
        process_inbox()
        return redirect(url_for("sms.simulator_phone", _anchor="latest"))
    # The proxy is enough: only app.extensions and app.config are read.
    deliver_to_simulator(current_app, phone, channel)
    return render_template(
        "sms/simulator_phone.html", form=form, phone=phone, channel=channel, whatsapp=channel == WHATSAPP,
        lines=phone_transcript(phone, channel), undelivered=undelivered_counts(phone, channel),
        day_form=SimulatorDayForm(),
    ), (400 if form.errors else 200)


@blueprint.post("/simulator/phone/day")
@simulator_only
def simulator_day() -> ResponseReturnValue:
    """WhatsApp only: close the session window, as if the citizen had last written a day ago, to show what
    happens to the next message (the template, then the message after the citizen's answer)."""
    phone = session.get(_SIMULATOR_PHONE)
    if not phone or session.get(_SIMULATOR_CHANNEL) != WHATSAPP or not SimulatorDayForm().validate_on_submit():
        return redirect(url_for("sms.simulator_phone"))
    expire_session(contact_hash(phone, WHATSAPP))
    db.session.commit()
    return redirect(url_for("sms.simulator_phone", _anchor="latest"))
