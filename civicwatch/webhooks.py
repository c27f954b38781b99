"""Endpoints called by machines that prove who they are with a signature (Twilio's webhooks).

They carry no user session and no CSRF token, and a per-client rate limit would only throttle the provider
(every request comes from its addresses), so the session, sign-in and rate-limit hooks skip them. What stands
before the signature check is a small bound on the body: anyone can send one, and the signature covers every
field, so the body must be small before it is parsed and signed.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, request

from civicwatch.extensions import csrf, limiter
from civicwatch.request_limits import limit_request_body


def signed_webhook(view: Callable) -> Callable:
    """Mark a view whose requests are authenticated by their signature alone (the view checks it), and bound
    its body (SIGNED_WEBHOOK_MAX_BYTES, SIGNED_WEBHOOK_MAX_FIELDS) before anything reads it."""

    @wraps(view)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        config = current_app.config
        limit_request_body(config["SIGNED_WEBHOOK_MAX_BYTES"], config["SIGNED_WEBHOOK_MAX_FIELDS"])
        return view(*args, **kwargs)

    bounded.signed_webhook = True  # type: ignore[attr-defined]
    return csrf.exempt(bounded)


def is_signed_webhook_request() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "signed_webhook", False))


limiter.request_filter(is_signed_webhook_request)
