"""Flask-Login wiring: a session is bound to the user's current session token."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager

from civicwatch.accounts.models import User
from civicwatch.extensions import db


def load_user(session_id: str) -> User | None:
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def configure_login(manager: LoginManager) -> None:
    manager.user_loader(load_user)
    manager.session_protection = "strong"

    @manager.unauthorized_handler
    def unauthorized() -> ResponseReturnValue:
        if request.accept_mimetypes.best == "application/json":
            return {"error": {"status": 401, "message": "Sign in first."}}, 401
        flash("Please sign in to continue.", "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))
