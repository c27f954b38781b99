"""Changing a staff member's role or body, and deactivating or reactivating their account. Routes of the staff
accounts pages that carry out a cases operation (the open cases the account leaves behind are released), so they
live here, above accounts. Imported before the blueprints are registered (civicwatch/__init__.py), as a blueprint
takes no routes once registered."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from flask_login import current_user

from civicwatch.accounts.forms import ChangeRoleForm, UserActiveForm
from civicwatch.accounts.models import Role, User
from civicwatch.accounts.operations import refuse_own_deactivation
from civicwatch.accounts.permissions import admin_required
from civicwatch.cases.forms import GiveBackCasesForm
from civicwatch.cases.staffing import (
    assigned_in_progress,
    cases_to_give_back,
    give_back_cases,
    move_staff,
    set_staff_active,
)
from civicwatch.cases.views import blueprint
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.forms import confirmation_page
from civicwatch.taxonomy.queries import all_bodies, name_choices


@blueprint.route("/users/<int:user_id>/role", methods=["GET", "POST"])
@admin_required
def change_staff_role(user_id: int) -> ResponseReturnValue:
    user = db.session.get(User, user_id) or abort(404)
    form = ChangeRoleForm(data={"role": user.role.value, "body": user.body.code if user.body else ""})
    form.body.choices = [("", gettext("None"))] + name_choices(all_bodies())
    status = 200
    if form.validate_on_submit():
        body = next((b for b in all_bodies() if b.code == form.body.data), None)
        try:
            released = move_staff(user, Role(form.role.data), body, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            form.role.errors = [*form.role.errors, exc.message]
            status = exc.status
        else:
            db.session.commit()
            if released is None:
                flash(gettext("Nothing changed for %(email)s.", email=user.email), "info")
            else:
                flash(ngettext("%(email)s now has their new role and was signed out. %(num)d open case went back "
                               "to its body's queue.",
                               "%(email)s now has their new role and was signed out. %(num)d open cases went back "
                               "to their bodies' queues.", released, email=user.email), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/change_role.html", form=form, user=user), (
        status if status != 200 else (400 if form.errors else 200))


@blueprint.route("/users/<int:user_id>/active", methods=["GET", "POST"])
@admin_required
def set_active(user_id: int) -> ResponseReturnValue:
    """Deactivation is asked once more (the GET is its confirmation page); reactivation undoes it, so it is not."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserActiveForm()
    if request.method == "GET" or (form.active.data == "0" and not form.is_confirmed()):
        if not user.active:
            flash(gettext("%(email)s is already deactivated.", email=user.email), "info")
            return redirect(url_for("accounts.users"))
        refuse_own_deactivation(user, current_user)
        return confirmation_page(
            form, title=gettext("Deactivate the account of %(email)s?", email=user.email),
            consequence=_deactivation_consequence(user), button=gettext("Deactivate the account"),
            cancel=url_for("accounts.users"), fields={"active": "0"},
            lasting=gettext("The account can be reactivated later, but its sessions and disclosure grants do not "
                            "come back."))
    if not form.validate_on_submit():
        abort(400)
    released = set_staff_active(user, form.active.data == "1", actor=current_user)
    db.session.commit()
    if user.active:
        waiting = len(cases_to_give_back(user))
        if waiting:
            flash(ngettext("%(email)s is now active. %(num)d case they held before is still waiting in the queue: "
                           "give it back to them below.",
                           "%(email)s is now active. %(num)d cases they held before are still waiting in the queue: "
                           "choose those to give back to them below.", waiting, email=user.email), "success")
            return redirect(url_for("cases.give_back", user_id=user.id))
        flash(gettext("%(email)s is now active.", email=user.email), "success")
    else:
        flash(ngettext("%(email)s is now deactivated. %(num)d open case went back to its body's queue.",
                       "%(email)s is now deactivated. %(num)d open cases went back to their bodies' queues.",
                       released, email=user.email), "success")
    return redirect(url_for("accounts.users"))


def _deactivation_consequence(user: User) -> str:
    signed_out = gettext("%(name)s (%(email)s) is signed out everywhere and can no longer sign in; their disclosure "
                         "grants end.", name=user.name, email=user.email)
    held = assigned_in_progress(user)
    if not held:
        return signed_out + " " + gettext("No open case is assigned to them.")
    return signed_out + " " + ngettext(
        "%(num)d open case assigned to them goes back to its body's queue; if the account is reactivated, you can "
        "give it back if it is still waiting there.",
        "%(num)d open cases assigned to them go back to their bodies' queues; if the account is reactivated, you "
        "can give them back those still waiting there.", held)


@blueprint.route("/users/<int:user_id>/cases", methods=["GET", "POST"])
@admin_required
def give_back(user_id: int) -> ResponseReturnValue:
    """After a reactivation: the cases the account held before, still waiting in the queue, to give back."""
    user = db.session.get(User, user_id) or abort(404)
    waiting = cases_to_give_back(user)
    form = GiveBackCasesForm(data={"cases": [case.id for case in waiting]} if request.method == "GET" else None)
    form.cases.choices = [(case.id, case.reference) for case in waiting]
    if form.validate_on_submit():
        given = give_back_cases(user, form.cases.data, actor=current_user)
        db.session.commit()
        flash(ngettext("%(num)d case was given back to %(email)s.", "%(num)d cases were given back to %(email)s.",
                       given, email=user.email), "success")
        return redirect(url_for("accounts.users"))
    return render_template("cases/give_back.html", form=form, user=user, waiting=waiting), (
        400 if form.errors else 200)
