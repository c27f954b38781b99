"""Is this request from Twilio? Checked with twilio's RequestValidator against the public URL."""
from __future__ import annotations

import hmac

from flask import Request
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_url(base_url: str, request: Request) -> str:
    """The URL Twilio called. Behind a reverse proxy the app sees its own host and scheme, so the
    configured PUBLIC_BASE_URL (which may carry a path prefix) is the only trustworthy start."""
    url = base_url.rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return url


def signature_problem(request: Request, auth_token: str, base_url: str) -> str | None:
    """None when the signature is right; otherwise "missing" or "invalid" (for the log)."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return "missing"
    validator = RequestValidator(auth_token)
    url = public_url(base_url, request)
    # The usual case costs one HMAC; `validate` also tries the URL with and without an explicit port.
    # As bytes: compare_digest refuses str with characters outside ASCII, and a header may carry any.
    if hmac.compare_digest(validator.compute_signature(url, request.form).encode(), signature.encode()):
        return None
    if not validator.validate(url, request.form, signature):
        return "invalid"
    return None
