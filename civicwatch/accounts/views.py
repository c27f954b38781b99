"""Sign in and out, change password, and the admin's user management."""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from civicwatch.accounts import operations
from civicwatch.accounts import totp as totp_module
from civicwatch.accounts.forms import ChangePasswordForm, CreateUserForm, LoginForm, TotpForm, UserActiveForm
from civicwatch.accounts.models import Role, User
from civicwatch.accounts.permissions import admin_required
from civicwatch.accounts.sessions import load_user
from civicwatch.accounts.totp import has_totp, needs_second_factor, new_secret, totp_required
from civicwatch.audit.operations import record_audit
from civicwatch.crypto import decrypt_text, encrypt_text
from civicwatch.database import utcnow
from civicwatch.errors import DomainError
from civicwatch.extensions import db, limiter
from civicwatch.taxonomy.queries import all_bodies
from civicwatch.webhooks import is_signed_webhook_request

blueprint = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """A local path of this app to go back to after sign-in; anything else goes to the dashboard."""
    fallback = url_for("cases.dashboard")
    if not target or any(ch.isspace() or not ch.isprintable() or ch == "\\" for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return fallback
    try:
        current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return fallback
    return target


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("cases.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.email.data, form.password.data)
        except operations.AuthenticationError as exc:
            db.session.commit()  # keep the failure count
            form.password.errors.append(exc.message)
            return render_template("accounts/login.html", form=form), 401
        db.session.commit()
        if needs_second_factor(user):
            _start_second_factor(user, request.args.get("next"))
            return redirect(url_for("accounts.verify_totp" if has_totp(user) else "accounts.enrol_totp"))
        _complete_login(user, second_factor=False)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), (400 if form.errors else 200)


# ---------------------------------------------------------------- second factor (TOTP)

PENDING_KEY = "pending_login"
PENDING_SECONDS = 300  # the code must follow the password within five minutes
SECRET_KEY = "pending_totp_secret"


def _start_second_factor(user: User, next_url: str | None) -> None:
    session.pop(SECRET_KEY, None)
    session[PENDING_KEY] = {"user": user.get_id(), "at": int(utcnow().timestamp()), "next": next_url}


def _pending_user() -> User | None:
    """The account whose password was just given, if that was recent and the account is unchanged."""
    pending = session.get(PENDING_KEY)
    if not pending or int(utcnow().timestamp()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    return load_user(pending.get("user", ""))


def _complete_login(user: User, second_factor: bool) -> str:
    next_url = (session.pop(PENDING_KEY, None) or {}).get("next")
    session.pop(SECRET_KEY, None)
    login_user(user)
    session["second_factor"] = second_factor
    return _safe_next(next_url)


@blueprint.before_app_request
def enforce_second_factor() -> Response | None:
    """A session without the second factor ends if this user must have one (e.g. enforcement switched on)."""
    if request.endpoint in (None, "static") or is_signed_webhook_request() or not current_user.is_authenticated:
        return None
    if totp_required(current_user) and not session.get("second_factor"):
        logout_user()
        flash("Please sign in again with your authenticator code.", "info")
        return redirect(url_for("accounts.login"))
    return None


def _pending_secret() -> str:
    if SECRET_KEY not in session:
        session[SECRET_KEY] = encrypt_text(new_secret()).decode()  # signed cookies are readable: encrypt
    return decrypt_text(session[SECRET_KEY].encode())


@blueprint.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def verify_totp() -> ResponseReturnValue:
    user = _pending_user()
    if user is None or not has_totp(user):
        flash("Please sign in again.", "info")
        return redirect(url_for("accounts.login"))
    form = TotpForm()
    if request.method == "POST" and operations.is_locked(user):
        # Locked by too many wrong codes or passwords: no code is checked until the lock ends.
        form.code.errors = [operations.FAILED_SIGN_IN]
        return render_template("accounts/totp_verify.html", form=form), 401
    if form.validate_on_submit():
        if totp_module.verify_totp(user, form.code.data):
            record_audit(user, "user.totp_verify", user)
            db.session.commit()
            return redirect(_complete_login(user, second_factor=True))
        operations.register_failed_login(user, utcnow())
        record_audit(None, "user.totp_failed", user)
        db.session.commit()
        form.code.errors.append("That code is not right. Use the newest code your app shows.")
        return render_template("accounts/totp_verify.html", form=form), 401
    return render_template("accounts/totp_verify.html", form=form), (400 if form.errors else 200)


@blueprint.route("/login/two-factor-setup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def enrol_totp() -> ResponseReturnValue:
    """First sign-in of someone who must use a second factor: set up the authenticator app now."""
    user = _pending_user()
    if user is None or has_totp(user):
        flash("Please sign in again.", "info")
        return redirect(url_for("accounts.login"))
    return _enrolment_page(user, after=lambda: redirect(_complete_login(user, second_factor=True)))


@blueprint.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def account_totp() -> ResponseReturnValue:
    """Set up, or replace, the authenticator app of the signed-in user."""
    def done() -> Response:
        session["second_factor"] = True
        session.pop(SECRET_KEY, None)
        flash("Two-factor sign-in is set up. You will need a code from your app at every sign-in.", "success")
        return redirect(url_for("cases.dashboard"))

    return _enrolment_page(current_user, after=done)


def _enrolment_page(user: User, after: Callable[[], Response]) -> ResponseReturnValue:
    secret = _pending_secret()
    form = TotpForm()
    if form.validate_on_submit():
        if totp_module.enrol_totp(user, secret, form.code.data):
            db.session.commit()
            return after()
        form.code.errors.append("That code does not match. Check the key was typed exactly, then try the newest code.")
    uri = totp_module.provisioning_uri(user, secret)
    return render_template("accounts/totp_enrol.html", form=form, secret=totp_module.grouped(secret),
                           uri=uri, qr_code=totp_module.provisioning_qr_svg(uri), user=user,
                           required=totp_required(user)), (400 if form.errors else 200)


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as exc:
            form.current_password.errors.append(exc.message)
        else:
            db.session.commit()
            second_factor = session.get("second_factor", False)
            login_user(current_user)  # the session token changed; keep this session
            session["second_factor"] = second_factor
            flash("Your password was changed. Other sessions were signed out.", "success")
            return redirect(url_for("cases.dashboard"))
    return render_template("accounts/change_password.html", form=form), (400 if form.errors else 200)


@blueprint.route("/staff/users", methods=["GET", "POST"])
@admin_required
def users() -> ResponseReturnValue:
    form = CreateUserForm()
    form.body.choices = [("", "None")] + [(b.code, b.name) for b in all_bodies()]
    if form.validate_on_submit():
        body = next((b for b in all_bodies() if b.code == form.body.data), None)
        try:
            operations.create_user(form.email.data, form.name.data, Role(form.role.data),
                                   form.password.data, body=body, actor=current_user)
        except DomainError as exc:
            form.email.errors.append(exc.message)
        else:
            db.session.commit()
            flash("Account created.", "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/users.html", form=form, users=operations.list_users(),
                           toggle_form=UserActiveForm()), (400 if form.errors else 200)


@blueprint.route("/staff/users/<int:user_id>/active", methods=["POST"])
@admin_required
def set_active(user_id: int) -> Response:
    form = UserActiveForm()
    if not form.validate_on_submit():
        abort(400)
    user = db.session.get(User, user_id) or abort(404)
    operations.set_user_active(user, request.form.get("active") == "1", actor=current_user)
    db.session.commit()
    flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("accounts.users"))


@blueprint.route("/staff/users/<int:user_id>/two-factor-reset", methods=["POST"])
@admin_required
def reset_totp(user_id: int) -> Response:
    """For a lost phone: the user sets up a new authenticator at their next sign-in."""
    form = UserActiveForm()
    if not form.validate_on_submit():
        abort(400)
    user = db.session.get(User, user_id) or abort(404)
    if not has_totp(user):
        flash(f"{user.email} has no authenticator set up.", "info")
        return redirect(url_for("accounts.users"))
    totp_module.reset_totp(user, actor=current_user)
    db.session.commit()
    flash(f"The authenticator of {user.email} was reset; they set up a new one at their next sign-in.", "success")
    return redirect(url_for("accounts.users"))
