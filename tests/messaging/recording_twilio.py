"""Twilio's servers, as far as tests need them: a twilio.http.HttpClient that records each request and
answers from a script (accepted, HTTP errors with Twilio's JSON, timeouts, or accepted with its answer lost on
the way back). Twilio keeps what it accepted and lists it (GET Messages.json, filtered by To and From, newest
first), answering list requests from a script of their own. The only mock in these tests."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

import requests
from twilio.http import HttpClient
from twilio.http.response import Response

from civicwatch.database import utcnow

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
FROM_NUMBER = "+15005550006"

ACCEPT = "accept"
TIMEOUT = "timeout"
CONNECT_FAILURE = "connect_failure"
# Twilio accepts the message, but its answer never reaches the worker (a read timeout).
ACCEPT_THEN_TIMEOUT = "accept_then_timeout"


@dataclass(frozen=True)
class Fail:
    """An HTTP error as Twilio reports it: status plus Twilio's error code."""

    status: int
    code: int


SERVER_ERROR = Fail(500, 20500)
# Twilio refuses a Body longer than 1,600 characters (error 21617), whatever the script says.
BODY_LIMIT = 1600
TOO_LONG = Fail(400, 21617)


@dataclass
class RecordedRequest:
    method: str
    url: str
    data: dict[str, Any]
    outcome: str
    sid: str | None = None


class RecordingHttpClient(HttpClient):
    """`requests`: the messages asked for (POST), `script` their answers; `list_requests`: the lists asked for
    (GET), `list_script` their answers (by default, what Twilio accepted). `now`: Twilio's clock."""

    def __init__(self, script: list[Any] | None = None, latency: float = 0.0,
                 now: Callable[[], dt.datetime] = utcnow) -> None:
        # Twilio's own client logger, which the real client logs each request to (a list's query with it).
        super().__init__(logging.getLogger("twilio.http_client"), is_async=False, timeout=None)
        self.script: deque[Any] = deque(script or [])
        self.list_script: deque[Any] = deque()
        self.latency = latency
        self.now = now
        self.requests: list[RecordedRequest] = []
        self.list_requests: list[RecordedRequest] = []
        self.created: dict[str, dt.datetime] = {}  # when Twilio accepted each SID
        self.statuses: dict[str, str] = {}  # a SID's status as Twilio lists it now (default: queued)
        self.templates: dict[str, str] = {}  # the wording Twilio lists for an approved template's Content SID
        self._lock = threading.Lock()

    def request(self, method: str, uri: str, params: dict | None = None, data: dict | None = None,
                headers: dict | None = None, auth: tuple | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        self.log_request({"method": method, "url": uri, "params": params, "headers": headers})
        if method == "GET":
            return self._list(uri, dict(params or {}))
        fields = {key: value for key, value in (data or {}).items()}
        with self._lock:
            step = self.script.popleft() if self.script else ACCEPT
        if len(str(fields.get("Body") or "").encode("utf-16-le")) // 2 > BODY_LIMIT:
            step = TOO_LONG
        if self.latency:
            time.sleep(self.latency)
        if step == TIMEOUT:
            self._record(method, uri, fields, "timeout")
            raise requests.exceptions.ReadTimeout("read timed out")
        if step == CONNECT_FAILURE:
            self._record(method, uri, fields, "connection refused")
            raise requests.exceptions.ConnectionError("connection refused")
        if isinstance(step, Fail):
            self._record(method, uri, fields, f"http {step.status}")
            return Response(step.status, json.dumps({
                "code": step.code, "status": step.status,
                "message": f"Error for {fields.get('To')}", "more_info": f"https://www.twilio.com/docs/errors/{step.code}",
            }))
        sid = "SM" + secrets.token_hex(16)
        self.created[sid] = self.now()
        if step == ACCEPT_THEN_TIMEOUT:
            self._record(method, uri, fields, "accepted, answer lost", sid)
            raise requests.exceptions.ReadTimeout("read timed out")
        self._record(method, uri, fields, "accepted", sid)
        return Response(201, json.dumps(message_resource(sid, fields, self.created[sid])))

    def _list(self, uri: str, params: dict[str, Any]) -> Response:
        with self._lock:
            step = self.list_script.popleft() if self.list_script else ACCEPT
        if step in (TIMEOUT, CONNECT_FAILURE) or isinstance(step, Fail):
            outcome = step if isinstance(step, str) else f"http {step.status}"
            self.list_requests.append(RecordedRequest("GET", uri, params, outcome))
            if step == TIMEOUT:
                raise requests.exceptions.ReadTimeout("read timed out")
            if step == CONNECT_FAILURE:
                raise requests.exceptions.ConnectionError("connection refused")
            assert isinstance(step, Fail)
            return Response(step.status, json.dumps({"code": step.code, "status": step.status, "message": "Error",
                                                     "more_info": ""}))
        self.list_requests.append(RecordedRequest("GET", uri, params, "listed"))
        found = [request for request in reversed(self.accepted)
                 if all(request.data.get(name) == params[name] for name in ("To", "From") if name in params)]
        size = int(params.get("PageSize", 50))
        return Response(200, json.dumps({
            "messages": [self._listed(request) for request in found[:size]],
            "end": min(size, len(found)) - 1, "first_page_uri": uri, "next_page_uri": None, "page": 0,
            "page_size": size, "previous_page_uri": None, "start": 0, "uri": uri,
        }))

    def _listed(self, request: RecordedRequest) -> dict[str, Any]:
        sid = request.sid or ""
        fields = dict(request.data)
        if "ContentSid" in fields:
            fields["Body"] = self.templates.get(fields["ContentSid"], "")
        listed = message_resource(sid, fields, self.created[sid])
        listed["status"] = self.statuses.get(sid, "queued")
        return listed

    def _record(self, method: str, url: str, data: dict, outcome: str, sid: str | None = None) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, url, data, outcome, sid))

    @property
    def accepted(self) -> list[RecordedRequest]:
        """Every message Twilio accepted, whether or not its answer reached the worker."""
        return [request for request in self.requests if request.sid is not None]


def message_resource(sid: str, fields: dict[str, Any], created: dt.datetime | None = None) -> dict[str, Any]:
    """The JSON Twilio answers a POST to Messages.json with, and lists a message as."""
    now = format_datetime(created, usegmt=True) if created else "Wed, 25 Nov 2026 08:00:00 +0000"
    return {
        "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": fields.get("Body"),
        "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
        "error_code": None, "error_message": None, "from": fields.get("From"), "messaging_service_sid": None,
        "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid,
        "status": "queued", "to": fields.get("To"),
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"},
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }


class SignalOnThirdSend(RecordingHttpClient):
    """The worker is told to stop (SIGTERM) while its third send is in flight; each send takes `latency` seconds."""

    def __init__(self, latency: float) -> None:
        super().__init__(latency=latency)
        self.posts = 0

    def request(self, method, uri, **kwargs):
        with self._lock:
            self.posts += method == "POST"
            third = self.posts == 3 and method == "POST"
        if third:
            os.kill(os.getpid(), signal.SIGTERM)
        return super().request(method, uri, **kwargs)
