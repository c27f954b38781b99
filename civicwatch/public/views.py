"""Public pages that belong to no other domain: the home page, privacy notice and health check."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from civicwatch.classify.registry import active_model_version
from civicwatch.extensions import db
from civicwatch.i18n import local_path, remember_language
from civicwatch.intake.queue import queue_stalled
from civicwatch.settings import public_sms_number

blueprint = Blueprint("public", __name__)


@blueprint.route("/")
def index() -> str:
    return render_template("public/index.html", sms_number=public_sms_number(current_app.config))


@blueprint.route("/privacy")
def privacy() -> str:
    return render_template("public/privacy.html")


@blueprint.route("/language/<code>")
def language(code: str) -> ResponseReturnValue:
    """A plain link (no JavaScript, no form): the page it came from, again, in the chosen language."""
    if not remember_language(code):
        abort(404)
    return redirect(local_path(request.args.get("next"), url_for("public.index")))


@blueprint.route("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
        database_ok = True
    except Exception:  # the point of a health check is to report, not raise
        current_app.logger.warning("health check: database unreachable")
        db.session.rollback()
        database_ok = False
    body = {
        "status": "ok" if database_ok else "degraded",
        "database": "ok" if database_ok else "unreachable",
        "model_version": active_model_version(),
    }
    if database_ok and current_app.config["WEB_REPORTS_QUEUED"]:
        # For monitoring: reports wait unseen while no worker files them. Not a reason to take the instance out of
        # a load balancer (it still takes reports), so the status stays 200; no count, only whether it moves.
        body["web_report_queue"] = "stalled" if queue_stalled() else "ok"
    return jsonify(body), (200 if database_ok else 503)
