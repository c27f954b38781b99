"""The routing page: who may see it, who may change it, CSRF, and what it shows."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.classify.models import LabelledExample
from civicwatch.extensions import db
from civicwatch.routing.models import RoutingRule
from civicwatch.routing.operations import override_body, route_new_case
from civicwatch.routing.queries import routing_threshold
from tests.conftest import body_by_code, csrf_token

PAGE = "/staff/routing/"


@pytest.mark.parametrize(("role", "status"), [(Role.ADMIN, 200), (Role.TRIAGE, 200), (Role.AUDITOR, 200),
                                              (Role.INVESTIGATOR, 403)])
def test_who_may_see_the_page(make_user, login_as, role: Role, status: int) -> None:
    client = login_as(make_user(role))
    assert client.get(PAGE).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_only_admins_see_the_forms(make_user, login_as) -> None:
    triage = login_as(make_user(Role.TRIAGE)).get(PAGE).get_data(as_text=True)
    assert "Add a rule" not in triage and "Save the threshold" not in triage and "Edit" not in triage
    assert "Anti-Corruption Commission" in triage  # the rules are listed for everyone who may see the page


@pytest.mark.parametrize("role", [Role.TRIAGE, Role.AUDITOR, Role.INVESTIGATOR])
def test_only_admins_may_change_anything(make_user, login_as, role: Role) -> None:
    client = login_as(make_user(role))
    token = csrf_token(client, "/staff/")
    rule = db.session.scalars(select(RoutingRule)).first()
    for path, data in [("/staff/routing/threshold", {"threshold": "0.1"}),
                       ("/staff/routing/rules", {"priority": "1", "theme": "corruption", "body": "auditor_general"}),
                       (f"/staff/routing/rules/{rule.id}", {"priority": "1", "theme": "corruption",
                                                            "body": "auditor_general"}),
                       (f"/staff/routing/rules/{rule.id}/delete", {})]:
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert routing_threshold() == 0.5


def test_admin_sets_the_threshold(make_user, login_as) -> None:
    client = login_as(make_user(Role.ADMIN))
    response = client.post("/staff/routing/threshold",
                           data={"csrf_token": csrf_token(client, PAGE), "threshold": "0.65"})
    assert response.status_code == 302
    assert routing_threshold() == 0.65
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "routing.threshold")).one()
    assert entry.before == {"threshold": None} and entry.after == {"threshold": 0.65}
    assert "0.65" in client.get(PAGE).get_data(as_text=True)


def test_the_routing_page_and_its_messages_speak_french(make_user, login_as) -> None:
    client = login_as(make_user(Role.ADMIN))
    client.get("/language/fr")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Ajouter une règle" in page and "Seuil de confiance" in page and "Enregistrer le seuil" in page
    assert "Add a rule" not in page and "Save the threshold" not in page
    response = client.post("/staff/routing/threshold", data={"csrf_token": csrf_token(client, PAGE), "threshold": "2"})
    assert "Donnez un nombre de 0 à 1." in response.get_data(as_text=True)
    client.post("/staff/routing/threshold", data={"csrf_token": csrf_token(client, PAGE), "threshold": "0.65"})
    assert "inférieure à 0.65 attendent désormais" in client.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize(("value", "explained"), [
    ("1.5", "Give a number from 0 to 1."), ("-0.1", "Give a number from 0 to 1."), ("", "Give a number from 0 to 1."),
    ("high", "Write a number in figures, such as 0.5."),  # every form's own words for a value it cannot read
])
def test_a_bad_threshold_is_explained(make_user, login_as, value: str, explained: str) -> None:
    client = login_as(make_user(Role.ADMIN))
    response = client.post("/staff/routing/threshold", data={"csrf_token": csrf_token(client, PAGE),
                                                             "threshold": value})
    assert response.status_code == 400
    assert explained in response.get_data(as_text=True)
    assert routing_threshold() == 0.5


def test_changes_need_the_csrf_token(make_user, login_as) -> None:
    client = login_as(make_user(Role.ADMIN))
    assert client.post("/staff/routing/threshold", data={"threshold": "0.1"}).status_code == 400
    assert routing_threshold() == 0.5


def test_admin_adds_edits_and_deletes_a_rule(make_user, login_as) -> None:
    client = login_as(make_user(Role.ADMIN))
    response = client.post("/staff/routing/rules", data={
        "csrf_token": csrf_token(client, PAGE), "priority": "5", "theme": "corruption", "actor": "border",
        "region": "", "body": "auditor_general", "active": "y"})
    assert response.status_code == 302
    rule = db.session.scalars(select(RoutingRule).where(RoutingRule.priority == 5)).one()
    assert (rule.theme.code, rule.actor.code, rule.region, rule.body.code, rule.active) == (
        "corruption", "border", None, "auditor_general", True)

    edit = f"/staff/routing/rules/{rule.id}"
    page = client.get(edit).get_data(as_text=True)
    assert 'value="5"' in page
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = client.post(edit, data={"csrf_token": csrf_token(client, edit), "version": version, "priority": "6",
                                       "theme": "corruption", "actor": "", "region": "eastern",
                                       "body": "police_oversight"})
    assert response.status_code == 302
    db.session.refresh(rule)
    assert (rule.priority, rule.actor, rule.region.code, rule.body.code, rule.active) == (
        6, None, "eastern", "police_oversight", False)

    rule_id = rule.id
    response = client.post(f"{edit}/delete", data={"csrf_token": csrf_token(client, edit), "confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(RoutingRule, rule_id) is None
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("routing.%")))]
    assert actions == ["routing.rule_create", "routing.rule_update", "routing.rule_delete"]


def test_a_rule_needs_a_theme_and_a_body(make_user, login_as) -> None:
    client = login_as(make_user(Role.ADMIN))
    before = db.session.query(RoutingRule).count()
    response = client.post("/staff/routing/rules", data={"csrf_token": csrf_token(client, PAGE), "priority": "x",
                                                         "theme": "", "body": "nonsense"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose a theme." in html and "There is a problem" in html
    assert db.session.query(RoutingRule).count() == before


def test_an_unknown_rule_is_not_found(make_user, login_as) -> None:
    client = login_as(make_user(Role.ADMIN))
    assert client.get("/staff/routing/rules/99999").status_code == 404


def test_the_page_shows_waiting_corrections_and_override_rates(make_user, login_as, make_case,
                                                                use_fake_classifier) -> None:
    admin = make_user(Role.ADMIN)
    use_fake_classifier(theme="corruption", confidence=0.9)
    cases = [make_case(f"bribe {i}") for i in range(4)]
    for case in cases:
        route_new_case(case)
    override_body(cases[0], admin, body_by_code("police_oversight"), "not a bribe")
    db.session.add_all([LabelledExample(field="theme", label="misconduct", text="t1"),
                        LabelledExample(field="theme", label="misconduct", text="t2", used_in_model="v1")])
    db.session.commit()
    html = login_as(admin).get(PAGE).get_data(as_text=True)
    assert re.search(r'<span class="stat">1</span> theme correction waiting', html)
    row = re.search(r"<tr><td>Anti-Corruption Commission</td><td>4</td><td>1</td>\s*<td>25%</td></tr>", html)
    assert row, html[html.find("Override rate"):][:800]
