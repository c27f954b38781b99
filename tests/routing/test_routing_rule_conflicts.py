"""Two administrators editing one routing rule at once: the second save, made on the page as it was before the
first, is refused (409) and says what is saved now, instead of silently putting back what the first changed."""
from __future__ import annotations

import re

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from civicwatch.routing.models import RoutingRule
from tests.conftest import PASSWORD, csrf_token, csrf_token_from


def _form(client, path: str) -> dict[str, str]:
    """The hidden fields of the rule's page as it is now (the CSRF token and whatever else the page carries)."""
    html = client.get(path).get_data(as_text=True)
    hidden = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*type="hidden"[^>]*value="([^"]*)"', html))
    hidden.update(re.findall(r'<input[^>]*type="hidden"[^>]*name="(\w+)"[^>]*value="([^"]*)"', html))
    return {**hidden, "csrf_token": csrf_token_from(html)}


def _rule() -> RoutingRule:
    return db.session.scalars(select(RoutingRule).join(RoutingRule.theme).order_by(RoutingRule.priority)).first()


def test_a_save_on_a_rule_changed_since_the_page_was_opened_is_refused(make_user, login_as, app) -> None:
    rule = _rule()
    rule_id, theme, priority = rule.id, rule.theme.code, rule.priority
    path = f"/staff/routing/rules/{rule_id}"
    first = login_as(make_user(Role.ADMIN))
    second, other = app.test_client(), make_user(Role.ADMIN)
    assert second.post("/login", data={"csrf_token": csrf_token(second), "email": other.email,
                                       "password": PASSWORD}).status_code == 302
    first_page, second_page = _form(first, path), _form(second, path)

    response = first.post(path, data={**first_page, "priority": str(priority), "theme": theme,
                                      "body": "auditor_general", "active": "y"})
    assert response.status_code == 302
    response = second.post(path, data={**second_page, "priority": str(priority + 1), "theme": theme,
                                       "body": "human_rights_commission", "active": "y"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this rule" in page and "Auditor" in page  # what is saved now

    db.session.expire_all()
    rule = db.session.get(RoutingRule, rule_id)
    assert (rule.priority, rule.body.code) == (priority, "auditor_general")
    updates = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "routing.rule_update")).all()
    assert len(updates) == 1

    # Saved again from the page the refusal showed (the other change now seen), it is the newer one and is kept.
    response = second.post(path, data={**_form(second, path), "priority": str(priority + 1), "theme": theme,
                                       "body": "human_rights_commission", "active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(RoutingRule, rule_id).body.code == "human_rights_commission"


def test_a_save_without_the_page_s_version_is_refused(make_user, login_as) -> None:
    rule = _rule()
    rule_id, body = rule.id, rule.body.code
    path = f"/staff/routing/rules/{rule_id}"
    client = login_as(make_user(Role.ADMIN))
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, "priority": "1", "theme": rule.theme.code,
                                       "body": "auditor_general", "active": "y"})
    assert response.status_code in (400, 409)
    db.session.expire_all()
    assert db.session.get(RoutingRule, rule_id).body.code == body
