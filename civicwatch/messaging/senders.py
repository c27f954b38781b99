"""The SMS sender: one small interface, created once per process. Twilio in real use; without Twilio
credentials in development the built-in simulator, which "delivers" to the simulator's phone page."""
from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any, Protocol

import requests
from flask import Flask
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from civicwatch.phones import WHATSAPP_PREFIX
from civicwatch.settings import is_production, twilio_configured

log = logging.getLogger(__name__)

# Twilio errors no retry can fix: unsubscribed (the person sent STOP to the carrier), invalid 'To' number,
# not a mobile number, no route to the number, a destination this account may not send to, and a body over
# 1,600 characters (messaging.operations.queue_sms owes a longer text as several).
PERMANENT_ERROR_CODES = frozenset({21610, 21211, 21614, 21612, 21408, 21617})
UNSUBSCRIBED_ERROR_CODE = 21610
UNREADABLE_ANSWER = "Twilio took the text but its answer could not be read: it may have been sent"
_EXTENSION_KEY = "civicwatch.sms_sender"


class SendError(Exception):
    """A message was not accepted. `reason` is safe to store: no phone number, no message text."""

    def __init__(self, reason: str, code: int | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.permanent = permanent


class SmsSender(Protocol):
    name: str

    def send(self, to: str, body: str, content_sid: str | None = None) -> str:
        """Hand the message over; return the provider's message SID, or raise SendError. `to` is Twilio's
        address: E.164 for an SMS, "whatsapp:+..." for WhatsApp. `content_sid`: an approved WhatsApp template
        to send instead of `body` (which holds its wording)."""
        ...


class TwilioSender:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, status_callback: str | None = None,
                 http_client: HttpClient | None = None, timeout: float = 10.0,
                 whatsapp_from: str | None = None) -> None:
        self.from_number = from_number
        self.whatsapp_from = whatsapp_from  # "whatsapp:+...", the WhatsApp sender; None: WhatsApp is off
        self.status_callback = status_callback
        self.client = Client(account_sid, auth_token, http_client=http_client or TwilioHttpClient(timeout=timeout))

    def send(self, to: str, body: str, content_sid: str | None = None) -> str:
        extra: dict[str, str] = {"status_callback": self.status_callback} if self.status_callback else {}
        # A template goes by its Content SID alone: WhatsApp sends the approved wording (no variables in it).
        extra.update({"content_sid": content_sid} if content_sid else {"body": body})
        sender = self.from_number
        if to.startswith(WHATSAPP_PREFIX):
            # A reply goes back on the channel the citizen used, from the WhatsApp sender.
            if not self.whatsapp_from:
                raise SendError("no WhatsApp sender configured (TWILIO_WHATSAPP_NUMBER)", permanent=True)
            sender = self.whatsapp_from
        try:
            message = self.client.messages.create(to=to, from_=sender, **extra)
        except TwilioRestException as exc:
            # exc.msg can quote the number; keep only the status and Twilio's code.
            raise SendError(f"Twilio error {exc.code or 'without code'} (HTTP {exc.status})", exc.code,
                            permanent=exc.code in PERMANENT_ERROR_CODES) from None
        except requests.Timeout:
            raise SendError("Twilio did not answer in time") from None
        except requests.RequestException as exc:
            raise SendError(f"could not reach Twilio ({type(exc).__name__})") from None
        except TwilioException as exc:
            raise SendError(f"Twilio client error ({type(exc).__name__})") from None
        except ValueError:
            # Only a success's body is parsed strictly (an error's is read leniently): the text has most likely
            # gone. Sent again at every claim timeout it would reach the citizen again and again; an admin decides.
            raise SendError(UNREADABLE_ANSWER, permanent=True) from None
        return str(message.sid)


class SimulatorSender:
    """Delivery to the SMS simulator: the message is already visible on the simulator's phone page."""

    name = "simulator"

    def send(self, to: str, body: str, content_sid: str | None = None) -> str:
        return "SMsim" + secrets.token_hex(15)


def build_sender(config: dict, http_client: HttpClient | None = None) -> SmsSender | None:
    """Twilio when it is configured; otherwise the simulator where allowed; otherwise none."""
    sid, token, number = (config.get(key) for key in
                          ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"))
    if sid and token and number:
        callback = str(config.get("PUBLIC_BASE_URL", "")).rstrip("/") + "/sms/status"
        return TwilioSender(sid, token, number, status_callback=callback, http_client=http_client,
                            timeout=float(config.get("TWILIO_TIMEOUT_SECONDS", 10)),
                            whatsapp_from=config.get("TWILIO_WHATSAPP_NUMBER") or None)
    if simulator_allowed(config):
        return SimulatorSender()
    return None


def simulator_allowed(config: Mapping[str, Any]) -> bool:
    """The SMS simulator exists only where SMS_SIMULATOR is on, outside production and without any Twilio
    credential: it shows whole conversations, and with Twilio those are real people's."""
    return bool(config.get("SMS_SIMULATOR")) and not is_production(config) and not twilio_configured(config)


def get_sender(app: Flask) -> SmsSender | None:
    """The app's sender, built on first use and kept for the life of the process."""
    if _EXTENSION_KEY not in app.extensions:
        app.extensions[_EXTENSION_KEY] = build_sender(app.config)
    return app.extensions[_EXTENSION_KEY]


def set_sender(app: Flask, sender: SmsSender | None) -> None:
    """Swap the sender (tests give a TwilioSender over a recording HttpClient)."""
    app.extensions[_EXTENSION_KEY] = sender
