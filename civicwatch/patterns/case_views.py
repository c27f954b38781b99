"""The case page's allegations: a section of the page and the routes that add and change them.

Routes of the cases blueprint (the case page's URLs stay together, /staff/cases/<id>/...), as routing's are
(routing/case_views.py); imported before the blueprints are registered (civicwatch/__init__.py).
"""
from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from civicwatch.accounts.models import User
from civicwatch.accounts.permissions import staff_required
from civicwatch.cases.models import Case, Outcome
from civicwatch.cases.pages import add_case_panel
from civicwatch.cases.permissions import may
from civicwatch.cases.views import blueprint, chosen, perform
from civicwatch.errors import NotFoundError
from civicwatch.patterns import operations
from civicwatch.patterns.forms import AllegationForm, fill_allegation_choices
from civicwatch.patterns.models import Allegation
from civicwatch.patterns.operations import AllegationFields
from civicwatch.patterns.queries import allegation_of, allegations_of
from civicwatch.routing.operations import after_routing
from civicwatch.taxonomy.models import Actor, District, Region, Theme

NEW = "allegation:new"


def _prefix(allegation_id: int | None) -> str:
    return f"allegation-{allegation_id}" if allegation_id else "allegation-new"


def _form(case: Case, allegation: Allegation | None, submitted: FlaskForm | None) -> FlaskForm:
    if submitted is not None:
        form = submitted
    else:
        data = {} if allegation is None else {
            "theme": str(allegation.theme_id or ""), "victim": allegation.victim or "",
            "actor": str(allegation.actor_id or ""), "region": str(allegation.region_id or ""),
            "district": str(allegation.district_id or ""), "location_text": allegation.location_text or "",
            "incident_date": allegation.incident_date,
            "finding": allegation.finding.value if allegation.finding else "", "remedy": allegation.remedy or ""}
        form = AllegationForm(prefix=_prefix(allegation.id if allegation else None), formdata=None, data=data)
        fill_allegation_choices(form)
    form.version.data = str(case.version)
    return form


def allegations_panel(case: Case, user: User, submitted: dict[str, FlaskForm]) -> str:
    allegations = allegations_of(case)
    forms: dict[int, FlaskForm] = {}
    new_form = None
    if may(user, "allegation", case):
        forms = {a.id: _form(case, a, submitted.get(f"allegation:{a.id}")) for a in allegations}
        new_form = _form(case, None, submitted.get(NEW))
    return render_template("patterns/_case_allegations.html", case=case, allegations=allegations, forms=forms,
                           new_form=new_form, submitted=submitted)


add_case_panel(allegations_panel)
after_routing(operations.start_allegations)


def _fields(form: AllegationForm) -> AllegationFields:
    finding = form.finding.data if form.finding.data in {o.value for o in Outcome} else None
    return AllegationFields(
        theme=chosen(Theme, form.theme.data), victim=form.victim.data, actor=chosen(Actor, form.actor.data),
        region=chosen(Region, form.region.data), district=chosen(District, form.district.data),
        location_text=form.location_text.data, incident_date=form.incident_date.data,
        finding=Outcome(finding) if finding else None, remedy=form.remedy.data)


@blueprint.post("/cases/<int:case_id>/allegations")
@staff_required
def add_allegation(case_id: int) -> ResponseReturnValue:
    form = AllegationForm(prefix=_prefix(None))
    fill_allegation_choices(form)

    def act(case: Case) -> str:
        operations.add_allegation(case, current_user, _fields(form))
        return "Allegation added."

    return perform(case_id, NEW, form, act)


@blueprint.post("/cases/<int:case_id>/allegations/<int:allegation_id>")
@staff_required
def update_allegation(case_id: int, allegation_id: int) -> ResponseReturnValue:
    form = AllegationForm(prefix=_prefix(allegation_id))
    fill_allegation_choices(form)

    def act(case: Case) -> str:
        allegation = allegation_of(case, allegation_id)
        if allegation is None:
            raise NotFoundError("There is no such allegation on this case.")
        operations.update_allegation(case, current_user, allegation, _fields(form))
        return "Allegation saved."

    return perform(case_id, f"allegation:{allegation_id}", form, act)
