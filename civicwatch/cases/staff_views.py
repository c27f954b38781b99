"""Changing a staff member's role or body. A route of the staff pages that carries out a cases operation (the
open cases the account leaves behind are released), so it lives here, above accounts. Imported before the
blueprints are registered (civicwatch/__init__.py), as a blueprint takes no routes once registered."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from flask_login import current_user

from civicwatch.accounts.forms import ChangeRoleForm
from civicwatch.accounts.models import Role, User
from civicwatch.accounts.permissions import admin_required
from civicwatch.cases.staffing import move_staff
from civicwatch.cases.views import blueprint
from civicwatch.database import ID_MAX
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.taxonomy.queries import all_bodies, name_choices


@blueprint.route("/users/<int:user_id>/role", methods=["GET", "POST"])
@admin_required
def change_staff_role(user_id: int) -> ResponseReturnValue:
    user = db.session.get(User, user_id) if user_id <= ID_MAX else None
    if user is None:
        abort(404)
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
