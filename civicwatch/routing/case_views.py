"""The case page's routing actions: send the case to another body, correct what the classifier read.

They are routes of the cases blueprint (the case page's URLs and endpoints stay together, /staff/cases/<id>/...)
and carry out routing operations, so they live here, above cases. Imported before the blueprints are
registered (civicwatch/__init__.py), as a blueprint takes no routes once registered.
"""
from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from civicwatch.accounts.permissions import staff_required
from civicwatch.cases.models import Case
from civicwatch.cases.pages import set_route_suggestion
from civicwatch.cases.views import blueprint, chosen, page_form, perform
from civicwatch.routing.operations import correct_classification, route_case
from civicwatch.routing.queries import suggested_body
from civicwatch.taxonomy.models import Actor, Body, District, Region, Theme

set_route_suggestion(suggested_body)


@blueprint.post("/cases/<int:case_id>/route")
@staff_required
def route(case_id: int) -> ResponseReturnValue:
    form = page_form("route")

    def act(case: Case) -> str:
        body = chosen(Body, form.body.data)
        route_case(case, current_user, body, form.reason.data)
        assert body is not None  # route_case refuses a missing body
        return gettext("The case was sent to %(body)s. The complainant keeps the same reference.",
                       body=body.local_name)

    return perform(case_id, "route", form, act)


@blueprint.post("/cases/<int:case_id>/correct")
@staff_required
def correct(case_id: int) -> ResponseReturnValue:
    form = page_form("correct")

    def act(case: Case) -> str:
        correct_classification(
            case, current_user, chosen(Theme, form.theme.data), chosen(Actor, form.actor.data),
            chosen(Region, form.region.data), chosen(District, form.district.data))
        return gettext("The correction was saved and the case routed by the rules.")

    return perform(case_id, "correct", form, act)
