"""Sign in and out, change password, and the admin's user management."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from civicwatch.accounts import operations
from civicwatch.accounts.forms import ChangePasswordForm, CreateUserForm, LoginForm, UserActiveForm
from civicwatch.accounts.models import Role, User
from civicwatch.accounts.permissions import admin_required
from civicwatch.errors import DomainError
from civicwatch.extensions import db, limiter
from civicwatch.taxonomy.queries import all_bodies

blueprint = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("cases.dashboard")


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
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
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), (400 if form.errors else 200)


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as exc:
            form.current_password.errors.append(exc.message)
        else:
            db.session.commit()
            login_user(current_user)  # the session token changed; keep this session
            flash("Your password was changed. Other sessions were signed out.", "success")
            return redirect(url_for("cases.dashboard"))
    return render_template("accounts/change_password.html", form=form), (400 if form.errors else 200)


@blueprint.route("/staff/users", methods=["GET", "POST"])
@admin_required
def users():
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
def set_active(user_id: int):
    form = UserActiveForm()
    if not form.validate_on_submit():
        abort(400)
    user = db.session.get(User, user_id) or abort(404)
    operations.set_user_active(user, request.form.get("active") == "1", actor=current_user)
    db.session.commit()
    flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("accounts.users"))
