"""Sign in and out, change password, and the admin's user management."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response
from wtforms import Field

from civicwatch.accounts import operations
from civicwatch.accounts import totp as totp_module
from civicwatch.accounts.forms import (
    ChangePasswordForm,
    ChangeTotpForm,
    CreateUserForm,
    LoginForm,
    TotpForm,
    UserActionForm,
    UserActiveForm,
    UserResetForm,
)
from civicwatch.accounts.models import Role, User
from civicwatch.accounts.passwords import MIN_PASSWORD_LENGTH
from civicwatch.accounts.permissions import (
    admin_required,
    been_admins,
    refuse_admin_password_reset,
    refuse_admin_totp_reset,
    refuse_admin_totp_unlock,
)
from civicwatch.accounts.sessions import (
    SECOND_FACTOR_KEY,
    idle_expired,
    load_user,
    mark_active,
    start_session,
    too_old,
)
from civicwatch.accounts.totp import (
    SecondFactorLockedError,
    has_totp,
    needs_second_factor,
    new_secret,
    second_factor_locked,
    totp_required,
)
from civicwatch.audit.operations import record_audit
from civicwatch.crypto import decrypt_text, encrypt_text
from civicwatch.database import utcnow
from civicwatch.errors import STAFF_PATH, DomainError, render_error, unsent_texts
from civicwatch.extensions import db, limiter
from civicwatch.forms import Form, confirmation_page
from civicwatch.taxonomy.queries import all_bodies, name_choices
from civicwatch.webhooks import is_signed_webhook_request

blueprint = Blueprint("accounts", __name__)


def home_url(user: User) -> str:
    """Where a signed-in user starts: a committee member at the assisted intake form (the only page of their
    role), everyone else at the dashboard."""
    if user.role is Role.COMMUNITY:
        return url_for("assisted.new")
    return url_for("cases.dashboard")


# Longer than any staff page's address with its filters; the page waits in the session cookie while the code is
# asked, and a browser drops a cookie over 4 KB (and the sign-in with it).
NEXT_MAX_LENGTH = 2000


def _safe_next(target: str | None, user: User) -> str:
    """A local path of this app to go back to after sign-in; anything else goes to the user's start page."""
    fallback = home_url(user)
    if not target or len(target) > NEXT_MAX_LENGTH \
            or any(ch.isspace() or not ch.isprintable() or ch == "\\" for ch in target):
        return fallback
    try:
        parts = urlsplit(target)
    except ValueError:  # a host in brackets that is no IPv6 address: //[evil.example
        return fallback
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
        return redirect(home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.email.data, form.password.data, request.remote_addr)
        except operations.TooManyAttemptsError as exc:
            return _too_many_attempts("accounts/login.html", form, form.password, exc)
        except operations.AuthenticationError as exc:
            db.session.commit()  # keep the failure counts
            form.password.errors.append(exc.message)
            return render_template("accounts/login.html", form=form), 401
        second_factor = needs_second_factor(user)
        if second_factor:
            operations.await_second_factor(user)
        db.session.commit()
        if second_factor:
            _start_second_factor(user, _safe_next(request.args.get("next"), user))
            return redirect(url_for("accounts.verify_totp" if has_totp(user) else "accounts.enrol_totp"))
        _complete_login(user, second_factor=False)
        return redirect(_safe_next(request.args.get("next"), user))
    return render_template("accounts/login.html", form=form), (400 if form.errors else 200)


def _too_many_attempts(template: str, form: Form, field: Field, exc: operations.TooManyAttemptsError,
                       **context: object) -> ResponseReturnValue:
    db.session.rollback()
    field.errors = [*field.errors, exc.message]
    return render_template(template, form=form, **context), 429, {"Retry-After": str(exc.retry_after)}


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
    operations.complete_sign_in(user, request.remote_addr)
    db.session.commit()
    next_url = (session.pop(PENDING_KEY, None) or {}).get("next")
    session.pop(SECRET_KEY, None)
    # A token read or planted before the sign-in does not serve the signed-in session: the next form gets a new one.
    session.pop(current_app.config["WTF_CSRF_FIELD_NAME"], None)
    start_session(user, second_factor)
    return _safe_next(next_url, user)


@blueprint.before_app_request
def check_staff_session() -> Response | None:
    """End a session that was idle too long or began too long ago, or that lacks a second factor this user must
    have (e.g. after enforcement was switched on); otherwise note the activity."""
    if request.endpoint in (None, "static") or is_signed_webhook_request() or not current_user.is_authenticated:
        return None
    if idle_expired():
        texts = unsent_texts()  # read while the user is still signed in
        logout_user()
        signed_out = gettext("You were signed out after %(minutes)s minutes without activity. Please sign in again.",
                             minutes=current_app.config["STAFF_IDLE_MINUTES"])
        if texts:  # a long note or message written while the session ran out: given back to copy, not lost
            body, status = render_error(401, gettext("Signed out"), signed_out, texts=texts,
                                        sign_in_again=_page_it_was_sent_from())
            return make_response(body, status)
        flash(signed_out, "info")
        return redirect(url_for("accounts.login"))
    if too_old():
        logout_user()
        flash(gettext("You were signed out %(hours)s hours after signing in. Please sign in again.",
                      hours=current_app.config["STAFF_SESSION_HOURS"]), "info")
        return redirect(url_for("accounts.login"))
    if totp_required(current_user) and not session.get(SECOND_FACTOR_KEY):
        logout_user()
        flash(gettext("Please sign in again with your authenticator code."), "info")
        return redirect(url_for("accounts.login"))
    mark_active()
    if current_user.password_must_change and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        flash(gettext("You signed in with a temporary password. Choose a password of your own before you go on."),
              "info")
        return redirect(url_for("accounts.change_password"))
    return None


# What a member whose password was reset may still do before choosing a new one.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"accounts.change_password", "accounts.logout", "public.language"})


def _page_it_was_sent_from() -> str | None:
    """The staff page whose form this request sent, to go back to after signing in: the posted address itself or
    the one above it (/staff/cases/12/messages -> /staff/cases/12), whichever is a page. No Referer: the app asks
    browsers to send none. The sign-in checks it again (_safe_next)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for path in (request.path, request.path.rstrip("/").rsplit("/", 1)[0]):
        if not path.startswith(STAFF_PATH):
            continue
        try:
            adapter.match(path, method="GET")
        except HTTPException:
            continue
        return path
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
        flash(gettext("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    form = TotpForm()
    if second_factor_locked(user):
        form.code.errors = [SecondFactorLockedError().message]
        return render_template("accounts/totp_verify.html", form=form), 403
    if form.validate_on_submit():
        try:
            right = totp_module.check_second_factor(user, form.code.data)
        except SecondFactorLockedError as exc:  # locked by a request running in parallel
            db.session.rollback()
            form.code.errors.append(exc.message)
            return render_template("accounts/totp_verify.html", form=form), 403
        if right:
            record_audit(user, "user.totp_verify", user)
            db.session.commit()
            return redirect(_complete_login(user, second_factor=True))
        locked_now = second_factor_locked(user)  # read before the commit expires what this request saw
        db.session.commit()  # keep the failure count
        if locked_now:
            form.code.errors.append(SecondFactorLockedError().message)
            return render_template("accounts/totp_verify.html", form=form), 403
        form.code.errors.append(gettext("That code is not right. Use the newest code your app shows."))
        return render_template("accounts/totp_verify.html", form=form), 401
    return render_template("accounts/totp_verify.html", form=form), (400 if form.errors else 200)


@blueprint.route("/login/two-factor-setup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def enrol_totp() -> ResponseReturnValue:
    """First sign-in of someone who must use a second factor: set up the authenticator app now."""
    user = _pending_user()
    if user is None or has_totp(user):
        flash(gettext("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    secret = _pending_secret()
    form = TotpForm()
    if form.validate_on_submit():
        if totp_module.enrol_totp(user, secret, form.code.data):
            db.session.commit()
            return redirect(_complete_login(user, second_factor=True))
        form.code.errors.append(operations.NEW_CODE_MISMATCH)
    return _enrolment_page(user, secret, form)


@blueprint.route("/account/two-factor", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def account_totp() -> ResponseReturnValue:
    """Set up, or replace, the authenticator app of the signed-in user: password (and current code) first."""
    user: User = current_user._get_current_object()
    secret = _pending_secret()
    form = ChangeTotpForm()
    if form.validate_on_submit():
        try:
            operations.change_second_factor(user, form.current_password.data, form.current_code.data, secret,
                                            form.code.data)
        except operations.TooManyAttemptsError as exc:
            return _too_many_attempts("accounts/totp_enrol.html", form, form.current_password, exc,
                                      **_enrolment_context(user, secret))
        except SecondFactorLockedError as exc:
            db.session.commit()
            logout_user()
            flash(exc.message, "error")
            return redirect(url_for("accounts.login"))
        except DomainError as exc:
            db.session.commit()  # keep the failure counts
            _field_for(form, exc).errors.append(exc.message)
        else:
            db.session.commit()
            start_session(user, second_factor=True)  # the session token changed; keep this session
            session.pop(SECRET_KEY, None)
            flash(gettext("Two-factor sign-in is set up. You will need a code from your app at every sign-in. "
                          "Other sessions were signed out."), "success")
            return redirect(home_url(user))
    return _enrolment_page(user, secret, form)


def _field_for(form: ChangeTotpForm, exc: DomainError) -> Field:
    if isinstance(exc, operations.WrongCurrentPasswordError):
        return form.current_password
    if isinstance(exc, operations.WrongCurrentCodeError):
        return form.current_code
    return form.code


def _enrolment_context(user: User, secret: str) -> dict[str, object]:
    uri = totp_module.provisioning_uri(user, secret)
    return {"secret": totp_module.grouped(secret), "uri": uri, "qr_code": totp_module.provisioning_qr_svg(uri),
            "user": user, "required": totp_required(user), "enrolled": has_totp(user)}


def _enrolment_page(user: User, secret: str, form: Form) -> ResponseReturnValue:
    return (render_template("accounts/totp_enrol.html", form=form, **_enrolment_context(user, secret)),
            (400 if form.errors else 200))


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    operations.sign_out(current_user)
    db.session.commit()
    logout_user()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/account")
@login_required
def account() -> str:
    """The signed-in member's own account: who they are, and where to change the password and the authenticator."""
    user: User = current_user._get_current_object()
    return render_template("accounts/account.html", user=user, enrolled=has_totp(user), required=totp_required(user))


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(current_user, form.current_password.data, form.new_password.data)
        except operations.TooManyAttemptsError as exc:
            return _too_many_attempts("accounts/change_password.html", form, form.current_password, exc)
        except DomainError as exc:
            db.session.commit()  # keep the failure count
            form.current_password.errors.append(exc.message)
        else:
            db.session.commit()
            target = home_url(current_user)  # start_session replaces current_user
            start_session(current_user, second_factor=session.get(SECOND_FACTOR_KEY, False))
            flash(gettext("Your password was changed. Other sessions were signed out."), "success")
            return redirect(target)
    return render_template("accounts/change_password.html", form=form), (400 if form.errors else 200)


@blueprint.route("/staff/users", methods=["GET", "POST"])
@admin_required
def users() -> ResponseReturnValue:
    form = CreateUserForm()
    form.body.choices = [("", gettext("None"))] + name_choices(all_bodies())
    form.password.description = gettext(
        "At least %(count)s characters. Pass it on to them in person: it is temporary, it works for %(hours)s hours, "
        "and they choose their own at their first sign-in.", count=MIN_PASSWORD_LENGTH,
        hours=current_app.config["TEMPORARY_PASSWORD_HOURS"])
    if form.validate_on_submit():
        body = next((b for b in all_bodies() if b.code == form.body.data), None)
        try:
            operations.create_user(form.email.data, form.name.data, Role(form.role.data),
                                   form.password.data, body=body, actor=current_user, temporary=True)
        except DomainError as exc:
            form.email.errors.append(exc.message)
        else:
            db.session.commit()
            flash(gettext("Account created."), "success")
            return redirect(url_for("accounts.users"))
    users = operations.list_users()
    expired = {user.id for user in users if operations.temporary_password_expired(user)}
    return render_template("accounts/users.html", form=form, users=users, toggle_form=UserActiveForm(),
                           temporary_expired=expired, server_only=been_admins(users) - {current_user.id}), (
        400 if form.errors else 200)


@blueprint.route("/staff/users/<int:user_id>/password-reset", methods=["GET", "POST"])
@admin_required
def reset_password(user_id: int) -> ResponseReturnValue:
    """For a forgotten password: a temporary one, shown on this page once (never in a redirect, a flash or a log)."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserResetForm()
    if not form.is_confirmed():
        operations.refuse_own_password_reset(user, current_user)
        refuse_admin_password_reset(user, current_user)
        return confirmation_page(
            form, title=gettext("Reset the password of %(email)s?", email=user.email),
            consequence=gettext("The password of %(name)s (%(email)s) stops working at once and they are signed out "
                                "everywhere. The next page shows a temporary password, once: tell it to them, and "
                                "they choose their own at their next sign-in.", name=user.name, email=user.email),
            button=gettext("Reset the password"), cancel=url_for("accounts.users"))
    if not form.validate_on_submit():
        abort(400)
    temporary = operations.reset_password(user, actor=current_user)
    db.session.commit()
    response = make_response(render_template("accounts/password_reset.html", user=user, temporary=temporary,
                                             hours=current_app.config["TEMPORARY_PASSWORD_HOURS"]))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/staff/users/<int:user_id>/two-factor-reset", methods=["GET", "POST"])
@admin_required
def reset_totp(user_id: int) -> ResponseReturnValue:
    """For a lost phone: the user sets up a new authenticator at their next sign-in."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserResetForm()
    if not has_totp(user):
        flash(gettext("%(email)s has no authenticator set up.", email=user.email), "info")
        return redirect(url_for("accounts.users"))
    if not form.is_confirmed():
        totp_module.refuse_own_totp_reset(user, current_user)
        refuse_admin_totp_reset(user, current_user)
        return confirmation_page(
            form, title=gettext("Reset the authenticator of %(email)s?", email=user.email),
            consequence=gettext("The authenticator app of %(name)s (%(email)s) stops working at once and they are "
                                "signed out everywhere. At their next sign-in, with their password, they set up a new "
                                "one.", name=user.name, email=user.email),
            button=gettext("Reset the authenticator"), cancel=url_for("accounts.users"))
    if not form.validate_on_submit():
        abort(400)
    totp_module.reset_totp(user, actor=current_user)
    db.session.commit()
    flash(gettext("The authenticator of %(email)s was reset; they set up a new one at their next sign-in.",
                  email=user.email), "success")
    return redirect(url_for("accounts.users"))


@blueprint.route("/staff/users/<int:user_id>/two-factor-unlock", methods=["POST"])
@admin_required
def unlock_totp(user_id: int) -> Response:
    """After too many wrong codes: the user may try codes again (their phone is still theirs)."""
    form = UserActionForm()
    if not form.validate_on_submit():
        abort(400)
    user = db.session.get(User, user_id) or abort(404)
    if not second_factor_locked(user) and not user.totp_failures:
        flash(gettext("The two-factor sign-in of %(email)s is not locked.", email=user.email), "info")
        return redirect(url_for("accounts.users"))
    refuse_admin_totp_unlock(user, current_user)
    totp_module.unlock_second_factor(user, actor=current_user)
    db.session.commit()
    flash(gettext("The two-factor sign-in of %(email)s is unlocked.", email=user.email), "success")
    return redirect(url_for("accounts.users"))
