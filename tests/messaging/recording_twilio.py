"""Twilio's servers, as far as tests need them: a twilio.http.HttpClient that records each request and
answers from a script (accepted, HTTP errors with Twilio's JSON, timeouts). The only mock in these tests."""
from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import requests
from twilio.http import HttpClient
from twilio.http.response import Response

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
FROM_NUMBER = "+15005550006"

ACCEPT = "accept"
TIMEOUT = "timeout"
CONNECT_FAILURE = "connect_failure"


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
    def __init__(self, script: list[Any] | None = None, latency: float = 0.0) -> None:
        super().__init__(logging.getLogger("tests.twilio"), is_async=False, timeout=None)
        self.script: deque[Any] = deque(script or [])
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def request(self, method: str, uri: str, params: dict | None = None, data: dict | None = None,
                headers: dict | None = None, auth: tuple | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
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
        self._record(method, uri, fields, "accepted", sid)
        return Response(201, json.dumps(message_resource(sid, fields)))

    def _record(self, method: str, url: str, data: dict, outcome: str, sid: str | None = None) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, url, data, outcome, sid))

    @property
    def accepted(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.outcome == "accepted"]


def message_resource(sid: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The JSON Twilio answers a POST to Messages.json with."""
    now = "Wed, 25 Nov 2026 08:00:00 +0000"
    return {
        "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": fields.get("Body"),
        "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
        "error_code": None, "error_message": None, "from": fields.get("From"), "messaging_service_sid": None,
        "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid,
        "status": "queued", "to": fields.get("To"),
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"},
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }
