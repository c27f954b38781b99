"""The worker keeps each twilio Client, with its HTTP session and open connection to Twilio, for the next send,
also after a send that raised. That is safe only if a connection broken mid-request is never used again: here
Twilio's servers are a local HTTP server (the real twilio HttpClient and its requests session talk to it, only
the host changed) that cuts the first request's connection, or answers it too late, and the next send through the
same pooled Client must work and reach Twilio once, with its own SID."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from twilio.http.http_client import TwilioHttpClient

from civicwatch.messaging.senders import SendError, TwilioSender
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, message_resource

PHONE = "+23276555222"
FIRST = "CivicWatch: your report CW-2026-000101 was received."
SECOND = "CivicWatch: your report CW-2026-000102 was received."
CUT = "cut"  # the request is read, then the connection closed without an answer
PARTIAL = "partial"  # the answer's headers, then part of its body, then the connection closed
LATE = "late"  # the answer comes after the client gave up, once the next request has arrived


class Twilio(ThreadingHTTPServer):
    """Twilio's Messages endpoint: each POST taken from `script` (then accepted), recorded as (body, connection)."""

    daemon_threads = True

    def __init__(self, script: list[str]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.script = script
        self.received: list[tuple[str, int]] = []
        self.next_arrived = threading.Event()
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client keeps its connection for the next request
    server: Twilio

    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        fields = {key: values[0] for key, values in parse_qs(
            self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
        with self.server.lock:
            if self.server.received:
                self.server.next_arrived.set()
            self.server.received.append((fields["Body"], self.client_address[1]))
            step = self.server.script.pop(0) if self.server.script else "accept"
            sid = f"SM{len(self.server.received):032x}"
        if step == CUT:
            self.close_connection = True
            return
        answer = json.dumps(message_resource(sid, fields)).encode()
        if step == LATE:
            self.server.next_arrived.wait(10)
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        try:
            self.wfile.write(answer[:20] if step == PARTIAL else answer)
            self.wfile.flush()
        except OSError:  # the client is gone (LATE)
            pass
        self.close_connection = step != "accept"

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LocalTwilioHttpClient(TwilioHttpClient):
    """Twilio's own HttpClient (a requests session, kept connections), sending to `base` instead of Twilio."""

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        assert self.session is not None
        self.session.trust_env = False  # no proxy from the environment between it and the local server
        self.base = base

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return super().request(method, url.replace("https://api.twilio.com", self.base), *args, **kwargs)


def running(script: list[str]) -> Iterator[Twilio]:
    server = Twilio(script)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.mark.parametrize("first", [CUT, PARTIAL, LATE])
def test_a_send_after_a_broken_send_on_the_same_pooled_client_works_and_reaches_twilio_once(first):
    for twilio in running([first]):
        http = LocalTwilioHttpClient(f"http://127.0.0.1:{twilio.server_address[1]}", timeout=0.5)
        sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http)
        try:
            with pytest.raises(SendError) as failed:
                sender.send(PHONE, FIRST)
            assert failed.value.maybe_sent  # Twilio read the request: it may hold the text
            assert sender._idle.qsize() == 1  # the Client that raised went back to the pool
            sid = sender.send(PHONE, SECOND)
            assert sender._idle.qsize() == 1  # and sent the next text
        finally:
            assert http.session is not None
            http.session.close()
        assert [body for body, _ in twilio.received] == [FIRST, SECOND]
        assert sid == f"SM{2:032x}"  # its own answer, not the late answer to the first
        (_, first_connection), (_, second_connection) = twilio.received
        assert first_connection != second_connection  # the broken connection was not used again
