"""Staff sessions: bound to the user's current session token, role and body, and ended when idle.

A session keeps the user id and a fingerprint of the token (see `session_fingerprint`); replacing the token
ends every session of the user, copies of the cookie included. The time of the last request is kept in the
signed session and checked by the server on every request, so a cookie left unused for STAFF_IDLE_MINUTES
is refused even if a browser (or someone who copied it) still sends it; so is the time of sign-in, and a session
older than STAFF_SESSION_HOURS ends however busy it is.
"""
from __future__ import annotations

import hmac

from flask import current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import LoginManager, login_user
from sqlalchemy.orm import joinedload

from civicwatch.accounts.models import User, session_fingerprint
from civicwatch.database import utcnow
from civicwatch.extensions import db

LAST_SEEN_KEY = "staff_seen"
SIGNED_IN_KEY = "staff_since"
SECOND_FACTOR_KEY = "second_factor"
# The activity time is rewritten at most this often, so that not every response sets a cookie.
TOUCH_SECONDS = 60


def load_user(session_id: str) -> User | None:
    user_id, _, fingerprint = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit()) or not fingerprint:
        return None
    # The body comes in the same statement: staff pages name it (header, dashboard) and scope queries by it.
    user = db.session.get(User, int(user_id), options=[joinedload(User.body)])
    if user is None or not user.active or not hmac.compare_digest(session_fingerprint(user), fingerprint):
        return None
    return user


def start_session(user: User, second_factor: bool) -> None:
    """Sign `user` in in this browser (again, after the session token changed)."""
    login_user(user)
    session[SECOND_FACTOR_KEY] = second_factor
    session[LAST_SEEN_KEY] = session[SIGNED_IN_KEY] = _now_seconds()


def idle_expired() -> bool:
    """No request from this session for STAFF_IDLE_MINUTES (or a session that never recorded one)."""
    last = session.get(LAST_SEEN_KEY)
    if not isinstance(last, int):
        return True
    return _now_seconds() - last > current_app.config["STAFF_IDLE_MINUTES"] * 60


def too_old() -> bool:
    """Signed in longer ago than STAFF_SESSION_HOURS, however busy the session (or one that never recorded it):
    a stolen copy of the cookie kept busy would otherwise never end."""
    since = session.get(SIGNED_IN_KEY)
    if not isinstance(since, int):
        return True
    return _now_seconds() - since > current_app.config["STAFF_SESSION_HOURS"] * 3600


def mark_active() -> None:
    last = session.get(LAST_SEEN_KEY)
    now = _now_seconds()
    if not isinstance(last, int) or now - last >= TOUCH_SECONDS:
        session[LAST_SEEN_KEY] = now


def _now_seconds() -> int:
    return int(utcnow().timestamp())


def configure_login(manager: LoginManager) -> None:
    manager.user_loader(load_user)
    manager.session_protection = "strong"

    @manager.unauthorized_handler
    def unauthorized() -> ResponseReturnValue:
        if request.accept_mimetypes.best == "application/json":
            return {"error": {"status": 401, "message": gettext("Sign in first.")}}, 401
        flash(gettext("Please sign in to continue."), "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))
