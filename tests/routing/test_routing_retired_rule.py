"""A rule whose theme was retired or whose body was closed stays editable as it is: its page shows them chosen
(marked), and a save that keeps them is accepted; no new rule may name them."""
from __future__ import annotations

import re

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.extensions import db
from civicwatch.routing.models import RoutingRule
from civicwatch.taxonomy.models import Theme
from tests.conftest import csrf_token_from

PAGE = "/staff/routing/"


def _retire() -> RoutingRule:
    rule = db.session.scalars(select(RoutingRule).join(RoutingRule.theme).where(Theme.code == "corruption")).first()
    rule.theme.active = False
    rule.body.active = False
    db.session.commit()
    return rule


def test_a_rule_with_a_retired_theme_and_a_closed_body_keeps_them_when_saved(make_user, login_as) -> None:
    rule = _retire()
    rule_id, theme, body, priority = rule.id, rule.theme.code, rule.body.code, rule.priority
    path = f"/staff/routing/rules/{rule_id}"
    client = login_as(make_user(Role.ADMIN))
    page = client.get(path).get_data(as_text=True)
    assert re.search(rf'<option selected value="{theme}">[^<]*\(retired\)', page), page
    assert re.search(rf'<option selected value="{body}">[^<]*\(closed\)', page), page
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = client.post(path, data={"csrf_token": csrf_token_from(page), "version": version,
                                       "priority": str(priority + 1), "theme": theme, "body": body})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    rule = db.session.get(RoutingRule, rule_id)
    assert (rule.priority, rule.theme.code, rule.body.code, rule.active) == (priority + 1, theme, body, False)


def test_no_new_rule_names_a_retired_theme_or_a_closed_body(make_user, login_as) -> None:
    rule = _retire()
    theme, body = rule.theme.code, rule.body.code
    client = login_as(make_user(Role.ADMIN))
    page = client.get(PAGE).get_data(as_text=True)
    before = db.session.query(RoutingRule).count()
    for data in ({"theme": theme, "body": "auditor_general"}, {"theme": "misconduct", "body": body}):
        response = client.post("/staff/routing/rules", data={"csrf_token": csrf_token_from(page), "priority": "3",
                                                             "active": "y", **data})
        assert response.status_code == 400
    assert db.session.query(RoutingRule).count() == before
