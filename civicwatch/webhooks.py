"""Endpoints called by machines that prove who they are with a signature (Twilio's webhooks).

They carry no user session and no CSRF token, and a per-client rate limit would only throttle the provider
(every request comes from its addresses), so the session, sign-in and rate-limit hooks skip them.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request

from civicwatch.extensions import csrf, limiter


def signed_webhook(view: Callable) -> Callable:
    """Mark a view whose requests are authenticated by their signature alone (the view checks it)."""
    view.signed_webhook = True  # type: ignore[attr-defined]
    return csrf.exempt(view)


def is_signed_webhook_request() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "signed_webhook", False))


limiter.request_filter(is_signed_webhook_request)
