"""Is this request from Twilio? Twilio's signature (HMAC-SHA1 of the URL and the sorted form fields), checked
against the public URL.

The fields are sorted and joined once per request; only the URL in front of them differs between the forms
Twilio may have signed (with and without the default port), as in twilio's RequestValidator.validate.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from urllib.parse import urlparse

from flask import Request
from twilio.request_validator import add_port, remove_port
from werkzeug.datastructures import MultiDict

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_url(base_url: str, request: Request) -> str:
    """The URL Twilio called. Behind a reverse proxy the app sees its own host and scheme, so the
    configured PUBLIC_BASE_URL (which may carry a path prefix) is the only trustworthy start."""
    url = base_url.rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return url


def signed_fields(form: MultiDict[str, str]) -> bytes:
    """What Twilio signs after the URL: each field name and value, names sorted, each name's values sorted."""
    parts = []
    for name in sorted(set(form)):
        for value in sorted(set(form.getlist(name))):
            parts.append(name + value)
    return "".join(parts).encode("utf-8")


@functools.lru_cache(maxsize=64)
def signed_urls(url: str) -> tuple[str, ...]:
    """The URL as configured, then without and with the default port, once each (a webhook's URL is the same
    on every request: worked out once)."""
    parsed = urlparse(url)
    return tuple(dict.fromkeys((url, remove_port(parsed), add_port(parsed))))


def signature_problem(request: Request, auth_token: str, base_url: str) -> str | None:
    """None when the signature is right; otherwise "missing" or "invalid" (for the log)."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return "missing"
    fields = signed_fields(request.form)
    key = auth_token.encode("utf-8")
    # As bytes: compare_digest refuses str with characters outside ASCII, and a header may carry any.
    given = signature.encode("utf-8", "replace")
    for url in signed_urls(public_url(base_url, request)):
        expected = base64.b64encode(hmac.new(key, url.encode("utf-8") + fields, hashlib.sha1).digest())
        if hmac.compare_digest(expected, given):
            return None
    return "invalid"
