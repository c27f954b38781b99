"""Staff pages for cases. The dashboard is the landing page after sign-in."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from civicwatch.accounts.permissions import staff_required
from civicwatch.cases.queries import dashboard_figures

blueprint = Blueprint("cases", __name__, url_prefix="/staff")


@blueprint.route("/")
@staff_required
def dashboard():
    return render_template("cases/dashboard.html", figures=dashboard_figures(current_user))
