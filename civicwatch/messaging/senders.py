"""The SMS sender: one small interface, created once per process. Twilio in real use; without Twilio
credentials in development the built-in simulator, which "delivers" to the simulator's phone page.

Each send names its outbox row and claim in the status callback's URL (`SendReference`), so that the callback
of a send whose answer was lost still says which message it was; and a sender can list what it already accepted
for an address (`find_sent`), so that such a message is looked for before it is sent again."""
from __future__ import annotations

import datetime as dt
import logging
import queue
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

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
    """A message was not accepted, as far as we know. `reason` is safe to store: no phone number, no message text.
    `maybe_sent`: the answer was lost (a timeout, a connection cut, an unreadable body), so Twilio may have
    accepted it all the same."""

    def __init__(self, reason: str, code: int | None = None, permanent: bool = False,
                 maybe_sent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.permanent = permanent
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class SendReference:
    """Which outbox row, and which claim of it, a send is for: carried in the query of the status callback's URL,
    which Twilio signs with the rest of the URL. Integers only: nothing personal reaches Twilio's logs."""

    message_id: int
    claimed_at: dt.datetime

    def query(self) -> str:
        micros = (self.claimed_at - _EPOCH) // dt.timedelta(microseconds=1)
        return urlencode({"outbox": self.message_id, "claim": micros})

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> SendReference | None:
        """The reference in a callback's query; None without one (a message sent before references, or by
        the simulator). Raises ValueError when it is there but malformed."""
        outbox, claim = args.get("outbox"), args.get("claim")
        if outbox is None and claim is None:
            return None
        if not (_digits(outbox, 18) and _digits(claim, 19)):
            raise ValueError("malformed send reference")
        return cls(int(outbox or ""), _EPOCH + dt.timedelta(microseconds=int(claim or "")))


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _digits(value: str | None, most: int) -> bool:
    return value is not None and value.isascii() and value.isdigit() and 0 < len(value) <= most


@dataclass(frozen=True)
class FoundMessage:
    """A message the provider already accepted: its SID, its status now and its error code, when it was accepted."""

    sid: str
    status: str
    error_code: int | None
    created: dt.datetime | None


class SmsSender(Protocol):
    name: str

    def send(self, to: str, body: str, content_sid: str | None = None,
             reference: SendReference | None = None) -> str:
        """Hand the message over; return the provider's message SID, or raise SendError. `to` is Twilio's
        address: E.164 for an SMS, "whatsapp:+..." for WhatsApp. `content_sid`: an approved WhatsApp template
        to send instead of `body` (which holds its wording). `reference`: the outbox row and claim, for the
        status callback."""
        ...

    def find_sent(self, to: str, body: str, since: dt.datetime) -> list[FoundMessage]:
        """The messages with this body the provider accepted for `to` from our sender since `since`, oldest
        first; raises SendError when the provider cannot be asked."""
        ...


class TwilioSender:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, status_callback: str | None = None,
                 http_client: HttpClient | None = None, timeout: float = 10.0,
                 whatsapp_from: str | None = None) -> None:
        self.from_number = from_number
        self.whatsapp_from = whatsapp_from  # "whatsapp:+...", the WhatsApp sender; None: WhatsApp is off
        self.status_callback = status_callback
        self._account = (account_sid, auth_token)
        self._http_client, self._timeout = http_client, timeout
        self._idle: queue.SimpleQueue[Client] = queue.SimpleQueue()

    @contextmanager
    def _client(self) -> Iterator[Client]:
        """A twilio Client that no other thread uses meanwhile (the worker sends from several threads): its own
        HttpClient, whose requests.Session is not safe to share, kept with its open connection to Twilio for the
        next send. A given `http_client` (the tests' recording one, which locks what it records) is shared."""
        try:
            client = self._idle.get_nowait()
        except queue.Empty:
            client = Client(*self._account, http_client=self._http_client or TwilioHttpClient(timeout=self._timeout))
        try:
            yield client
        finally:
            self._idle.put(client)

    def send(self, to: str, body: str, content_sid: str | None = None,
             reference: SendReference | None = None) -> str:
        extra: dict[str, str] = {}
        if self.status_callback:
            extra["status_callback"] = self.status_callback + ("?" + reference.query() if reference else "")
        # A template goes by its Content SID alone: WhatsApp sends the approved wording (no variables in it).
        extra.update({"content_sid": content_sid} if content_sid else {"body": body})
        try:
            with self._client() as client:
                message = client.messages.create(to=to, from_=self._sender_for(to), **extra)
        except (TwilioException, requests.RequestException) as exc:
            raise _send_error(exc) from None
        except ValueError:
            # Only a success's body is parsed strictly (an error's is read leniently): the text has most likely
            # gone. Sent again at every claim timeout it would reach the citizen again and again; an admin decides.
            raise SendError(UNREADABLE_ANSWER, permanent=True, maybe_sent=True) from None
        return str(message.sid)

    def find_sent(self, to: str, body: str, since: dt.datetime) -> list[FoundMessage]:
        # The newest messages to that address from our sender (one request: a citizen gets few texts), compared
        # here: Twilio's date filter is by day and by the time a message left, which a queued one lacks.
        try:
            with self._client() as client:
                listed = client.messages.list(to=to, from_=self._sender_for(to), limit=LOOKUP_LIMIT)
        except (TwilioException, requests.RequestException, ValueError) as exc:
            raise SendError(f"could not ask Twilio whether it was sent ({_send_error(exc).reason})") from None
        found = [FoundMessage(str(message.sid), str(message.status or ""), _error_code(message.error_code),
                              message.date_created)
                 for message in listed
                 if str(message.direction or "").startswith("outbound") and message.body == body
                 and (message.date_created is None or message.date_created >= since)]
        return sorted(found, key=lambda message: message.created or since)

    def _sender_for(self, to: str) -> str:
        if to.startswith(WHATSAPP_PREFIX):
            # A reply goes back on the channel the citizen used, from the WhatsApp sender.
            if not self.whatsapp_from:
                raise SendError("no WhatsApp sender configured (TWILIO_WHATSAPP_NUMBER)", permanent=True)
            return self.whatsapp_from
        return self.from_number


# Messages read from Twilio's list when a send's answer was lost: the newest to that address from our sender.
LOOKUP_LIMIT = 50


def _send_error(exc: Exception) -> SendError:
    """What a failed call to Twilio becomes: a SendError without the number or the text (an exception's message
    can quote them). A timeout or a cut connection may come after Twilio accepted the message."""
    if isinstance(exc, TwilioRestException):
        return SendError(f"Twilio error {exc.code or 'without code'} (HTTP {exc.status})", exc.code,
                         permanent=exc.code in PERMANENT_ERROR_CODES)
    if isinstance(exc, requests.ConnectTimeout):  # no connection was made: nothing reached Twilio
        return SendError(f"could not reach Twilio ({type(exc).__name__})")
    if isinstance(exc, requests.Timeout):
        return SendError("Twilio did not answer in time", maybe_sent=True)
    if isinstance(exc, requests.RequestException):
        return SendError(f"could not reach Twilio ({type(exc).__name__})", maybe_sent=True)
    return SendError(f"Twilio client error ({type(exc).__name__})")


def _error_code(value: object) -> int | None:
    return value if isinstance(value, int) else None


class SimulatorSender:
    """Delivery to the SMS simulator: the message is already visible on the simulator's phone page."""

    name = "simulator"

    def send(self, to: str, body: str, content_sid: str | None = None,
             reference: SendReference | None = None) -> str:
        return "SMsim" + secrets.token_hex(15)

    def find_sent(self, to: str, body: str, since: dt.datetime) -> list[FoundMessage]:
        return []  # the simulator never loses an answer


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
