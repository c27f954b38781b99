"""The routing page: rules and the confidence threshold (admins edit), corrections waiting, override rates."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from civicwatch.accounts.models import Role
from civicwatch.accounts.permissions import admin_required, roles_required
from civicwatch.classify.classifier import ModelLoadError
from civicwatch.classify.language import language_list, language_name
from civicwatch.classify.queries import count_waiting_corrections
from civicwatch.classify.registry import active_model_path, active_model_version, current_classifier, read_meta
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.forms import confirmation_page
from civicwatch.routing import rule_operations
from civicwatch.routing.forms import DeleteRuleForm, ModelThresholdForm, RuleForm, ThresholdForm
from civicwatch.routing.models import RoutingRule
from civicwatch.routing.queries import (
    all_rules,
    cases_by_language,
    override_rates,
    routing_threshold,
    threshold_source,
)
from civicwatch.taxonomy.models import Actor, Body, Region, Theme
from civicwatch.taxonomy.queries import all_actors, all_bodies, all_regions, all_themes, by_code, name_choices

blueprint = Blueprint("routing", __name__, url_prefix="/staff/routing")

readers_required = roles_required(Role.ADMIN, Role.TRIAGE, Role.AUDITOR)


def _rule_form(rule: RoutingRule | None = None, formdata: Any = None) -> RuleForm:
    data = {} if rule is None else {
        "version": rule.version, "priority": rule.priority, "theme": rule.theme.code,
        "actor": rule.actor.code if rule.actor else "",
        "region": rule.region.code if rule.region else "", "body": rule.body.code, "active": rule.active}
    if formdata is not None:  # a post without the version it was rendered from never counts as the current one
        data.pop("version", None)
    form = RuleForm(formdata=formdata, data=data)
    # A rule keeps the theme retired or the body closed since it was written (shown, marked, and saved again as
    # it is); no other rule may choose them.
    kept_theme, kept_body = [], []
    if rule is not None and not rule.theme.active:
        kept_theme.append((rule.theme.code, gettext("%(name)s (retired)", name=rule.theme.local_name)))
    if rule is not None and not rule.body.active:
        kept_body.append((rule.body.code, gettext("%(name)s (closed)", name=rule.body.local_name)))
    form.theme.choices = [("", gettext("Choose a theme"))] + name_choices(all_themes()) + kept_theme
    form.actor.choices = [("", gettext("Any"))] + name_choices(all_actors())
    form.region.choices = [("", gettext("Any"))] + name_choices(all_regions())
    form.body.choices = [("", gettext("Choose a body"))] + name_choices(all_bodies()) + kept_body
    return form


def _model_figures() -> dict[str, Any]:
    """What the active model says about its triage threshold and how it was measured (empty without one)."""
    path = active_model_path()
    if path is None:
        return {}
    try:
        meta = read_meta(path)
    except (OSError, ValueError):
        return {}
    held_out = (meta.get("metrics") or {}).get("held_out") or {}
    return {"triage": meta.get("triage") or None, "held_out": held_out.get("routing"),
            "accuracy": (held_out.get("theme") or {}).get("accuracy")}


def _model_unreadable() -> bool:
    """ACTIVE or the model it names cannot be used: every case goes to triage (routing logs why)."""
    try:
        current_classifier()
    except ModelLoadError:
        return True
    return False


def _page(threshold_form: ThresholdForm | None = None, rule_form: RuleForm | None = None,
          status: int = 200) -> tuple[str, int]:
    model = _model_figures()
    model_threshold = (model.get("triage") or {}).get("threshold")
    threshold = routing_threshold(model_threshold)
    threshold_form = threshold_form or ThresholdForm(data={"threshold": threshold})
    return render_template(
        "routing/index.html", rules=all_rules(), threshold=threshold, threshold_form=threshold_form,
        threshold_source=threshold_source(model_threshold), model=model, model_threshold_form=ModelThresholdForm(),
        rule_form=rule_form or _rule_form(), waiting=count_waiting_corrections(), overrides=override_rates(),
        model_version=active_model_version(), model_unreadable=_model_unreadable(), can_edit=current_user.role is Role.ADMIN,
        case_languages=cases_by_language(), classifier_languages=current_app.config.get("CLASSIFIER_LANGUAGES", []),
        language_name=language_name,
        classifier_reads=language_list(current_app.config.get("CLASSIFIER_LANGUAGES", [])),
    ), status


def _save_rule(form: RuleForm, rule: RoutingRule | None, done: str) -> int | None:
    """Create or update the rule from a valid form and commit; None when saved, else the status of the refusal
    (the problem on the form)."""
    values = dict(priority=form.priority.data, theme=by_code(Theme, form.theme.data),
                  body=by_code(Body, form.body.data), actor=by_code(Actor, form.actor.data),
                  region=by_code(Region, form.region.data), active=bool(form.active.data))
    try:
        if rule is None:
            rule_operations.create_rule(current_user, **values)
        else:
            rule_operations.update_rule(rule, current_user, form.version.data, **values)
    except DomainError as exc:
        db.session.rollback()
        form.priority.errors.append(exc.message)
        saved = db.session.get(RoutingRule, rule.id) if rule is not None else None
        if saved is not None:  # the values kept can be saved again over what is saved now, on purpose
            form.version.data = str(saved.version)
        return exc.status
    db.session.commit()
    flash(done, "success")
    return None


@blueprint.route("/")
@readers_required
def index() -> ResponseReturnValue:
    return _page()


@blueprint.post("/threshold")
@admin_required
def save_threshold() -> ResponseReturnValue:
    form = ThresholdForm()
    if not form.validate_on_submit():
        return _page(threshold_form=form, status=400)
    rule_operations.set_routing_threshold(current_user, float(form.threshold.data))
    db.session.commit()
    flash(gettext("New cases below %(threshold)s confidence now wait in the triage queue.",
                  threshold=format(form.threshold.data, ".2f")), "success")
    return redirect(url_for("routing.index"))


@blueprint.post("/threshold/model")
@admin_required
def use_model_threshold() -> ResponseReturnValue:
    if not ModelThresholdForm().validate_on_submit():
        abort(400)
    rule_operations.set_routing_threshold(current_user, None)
    db.session.commit()
    flash(gettext("New cases now follow the threshold the active model chose for its target accuracy."), "success")
    return redirect(url_for("routing.index"))


@blueprint.post("/rules")
@admin_required
def create_rule() -> ResponseReturnValue:
    form = _rule_form(formdata=request.form)
    status = _save_rule(form, None, gettext("The rule was added.")) if form.validate_on_submit() else 400
    if status is None:
        return redirect(url_for("routing.index"))
    return _page(rule_form=form, status=status)


def _rule_or_404(rule_id: int) -> RoutingRule:
    return db.session.get(RoutingRule, rule_id) or abort(404)


@blueprint.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@admin_required
def edit_rule(rule_id: int) -> ResponseReturnValue:
    rule = _rule_or_404(rule_id)
    posted = request.method == "POST"
    form = _rule_form(rule, formdata=request.form if posted else None)
    status = 200
    if posted:
        refused = _save_rule(form, rule, gettext("The rule was saved.")) if form.validate_on_submit() else 400
        if refused is None:
            return redirect(url_for("routing.index"))
        status = refused
        rule = _rule_or_404(rule_id)  # as saved now (a refusal rolled back)
    return render_template("routing/rule.html", rule=rule, form=form, delete_form=DeleteRuleForm()), status


@blueprint.route("/rules/<int:rule_id>/delete", methods=["GET", "POST"])
@admin_required
def delete_rule(rule_id: int) -> ResponseReturnValue:
    rule = _rule_or_404(rule_id)
    form = DeleteRuleForm()
    if not form.is_confirmed():
        anywhere = gettext("Any")
        return confirmation_page(
            form, title=gettext("Delete routing rule %(priority)s?", priority=rule.priority),
            consequence=gettext(
                "The rule sending %(theme)s complaints (actor: %(actor)s; region: %(region)s) to %(body)s is deleted. "
                "New cases it would have sent follow the next rule that matches, or wait in the triage queue; "
                "cases already with a body stay where they are.", theme=rule.theme.local_name,
                actor=rule.actor.local_name if rule.actor else anywhere,
                region=rule.region.local_name if rule.region else anywhere, body=rule.body.local_name),
            button=gettext("Delete the rule"), cancel=url_for("routing.edit_rule", rule_id=rule.id))
    if not form.validate_on_submit():
        abort(400)
    rule_operations.delete_rule(rule, current_user)
    db.session.commit()
    flash(gettext("The rule was deleted."), "success")
    return redirect(url_for("routing.index"))
