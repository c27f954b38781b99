"""The staff buttons whose act cannot be undone ask once more, on a page of its own that works without JavaScript.

A mis-tap on a phone, or Enter pressed on the wrong row of a table, must not revoke a key, delete a rule, reset an
authenticator or a password, deactivate an account or discard a draft. The row's button is a link to a
confirmation page (a GET that changes nothing) naming what will happen to what, with the real POST button and a
way back; a POST without that page's confirmation does nothing and says so. The confirmation page keeps the
action's access rules: whoever may not act learns nothing from it either.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.accounts.totp import enrol_totp, new_secret
from civicwatch.cases.models import CaseStatus
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.interfaces.models import ApiKey
from civicwatch.interfaces.operations import issue_api_key
from civicwatch.publishing.models import Publication
from civicwatch.routing.models import RoutingRule
from civicwatch.routing.rule_operations import create_rule
from civicwatch.taxonomy.models import Theme
from tests.conftest import audit_count, body_by_code, csrf_token_from, forms_posting_to
from tests.factories import create_case, staff_client


@dataclass
class Scene:
    """One destructive action: who acts, the page with the row's button, the action's address, the words that
    name the row, fields the real form carries, and whether the act happened."""
    browser: FlaskClient
    page: str
    action: str
    names: list[str]
    fields: dict[str, str]
    acted: Callable[[], bool]


def _fresh(model: type, row_id: int):
    db.session.expire_all()
    return db.session.get(model, row_id)


def revoke_key(app: Flask, make_user) -> Scene:
    key, _secret = issue_api_key("Freetown youth network app", None)
    db.session.commit()
    key_id = key.id
    return Scene(staff_client(app, make_user(Role.ADMIN)), "/staff/api-keys", f"/staff/api-keys/{key_id}/revoke",
                 ["Freetown youth network app"], {}, lambda: _fresh(ApiKey, key_id).revoked_at is not None)


def delete_rule(app: Flask, make_user) -> Scene:
    rule = create_rule(make_user(Role.ADMIN), 7, db.session.scalar(select(Theme).where(Theme.code == "corruption")),
                       body_by_code("auditor_general"))
    db.session.commit()
    rule_id = rule.id
    return Scene(staff_client(app, make_user(Role.ADMIN)), f"/staff/routing/rules/{rule_id}",
                 f"/staff/routing/rules/{rule_id}/delete", ["7"], {},
                 lambda: _fresh(RoutingRule, rule_id) is None)


def reset_authenticator(app: Flask, make_user) -> Scene:
    member = make_user(Role.TRIAGE, email="lost.phone@example.org")
    secret = new_secret()
    assert enrol_totp(member, secret, pyotp.TOTP(secret).at(utcnow()))
    db.session.commit()
    member_id = member.id
    return Scene(staff_client(app, make_user(Role.ADMIN)), "/staff/users", f"/staff/users/{member_id}/two-factor-reset",
                 ["lost.phone@example.org"], {}, lambda: _fresh(User, member_id).totp_secret_encrypted is None)


def reset_password(app: Flask, make_user) -> Scene:
    member = make_user(Role.TRIAGE, email="forgetful@example.org")
    member_id, before = member.id, member.password_hash
    return Scene(staff_client(app, make_user(Role.ADMIN)), "/staff/users", f"/staff/users/{member_id}/password-reset",
                 ["forgetful@example.org"], {}, lambda: _fresh(User, member_id).password_hash != before)


def deactivate(app: Flask, make_user) -> Scene:
    member = make_user(Role.INVESTIGATOR, email="leaver@example.org")
    member_id = member.id
    return Scene(staff_client(app, make_user(Role.ADMIN)), "/staff/users", f"/staff/users/{member_id}/active",
                 ["leaver@example.org"], {"active": "0"}, lambda: not _fresh(User, member_id).active)


def discard_draft(app: Flask, make_user) -> Scene:
    case = create_case(CaseStatus.RESPONDED, "police_oversight")
    author = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    page = author.get(f"/staff/publications/case/{case.id}").get_data(as_text=True)
    started = author.post(f"/staff/publications/case/{case.id}/start", data={"csrf_token": csrf_token_from(page)})
    assert started.status_code == 302, started.get_data(as_text=True)[:300]
    url = started.headers["Location"]
    publication_id = db.session.scalar(select(Publication.id))
    version = re.search(r'name="row_version" type="hidden" value="(\d+)"',
                        author.get(url).get_data(as_text=True)).group(1)
    return Scene(author, url, f"{url}/discard", [case.reference], {"row_version": version},
                 lambda: _fresh(Publication, publication_id) is None)


SCENES = [revoke_key, delete_rule, reset_authenticator, reset_password, deactivate, discard_draft]


@pytest.fixture(params=SCENES, ids=lambda scene: scene.__name__)
def scene(request, app, make_user, clock) -> Scene:
    return request.param(app, make_user)




def test_the_row_button_leads_to_a_confirmation_page(scene):
    page = scene.browser.get(scene.page).get_data(as_text=True)
    assert forms_posting_to(page, scene.action) == [], "one press of the row's button acts"
    assert f'href="{scene.action}' in page


def test_the_confirmation_page_names_the_row_and_changes_nothing(scene):
    before = audit_count()
    response = scene.browser.get(scene.action)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    for name in scene.names:
        assert name in page
    # What stays done: all of it, or (a deactivation, undone in part by reactivating) what does not come back.
    assert "cannot be undone" in page or "do not come back" in page
    assert len(forms_posting_to(page, scene.action)) == 1
    assert re.search(r'<input type="hidden" name="confirmed" value="yes">', page)
    assert re.search(r'<a [^>]*href="[^"]+"[^>]*>Cancel</a>', page)
    assert not scene.acted() and audit_count() == before


def test_a_post_without_the_confirmation_does_nothing_and_says_so(scene):
    token = csrf_token_from(scene.browser.get(scene.page).get_data(as_text=True))
    before = audit_count()
    response = scene.browser.post(scene.action, data={"csrf_token": token, **scene.fields})
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "Nothing was done" in page and len(forms_posting_to(page, scene.action)) == 1
    assert not scene.acted() and audit_count() == before


def test_the_confirmed_post_acts(scene):
    page = scene.browser.get(scene.action).get_data(as_text=True)
    response = scene.browser.post(scene.action, data={"csrf_token": csrf_token_from(page), "confirmed": "yes",
                                                      **scene.fields})
    assert response.status_code in {200, 302}, response.get_data(as_text=True)[:500]
    assert scene.acted() and audit_count() >= 1


@pytest.mark.parametrize("role", [Role.TRIAGE, Role.AUDITOR, Role.INVESTIGATOR])
@pytest.mark.parametrize("build", SCENES[:-1], ids=lambda scene: scene.__name__)
def test_only_admins_open_the_confirmation_of_an_admin_action(app, make_user, clock, build, role):
    scene = build(app, make_user)
    other = staff_client(app, make_user(role, body="anti_corruption_commission" if role is Role.INVESTIGATOR else None))
    response = other.get(scene.action)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert not any(name in page for name in scene.names if len(name) > 2)


def test_another_bodys_investigator_learns_nothing_from_a_drafts_confirmation(app, make_user, clock):
    scene = discard_draft(app, make_user)
    for outsider in (make_user(Role.INVESTIGATOR, body="anti_corruption_commission"), make_user(Role.AUDITOR)):
        response = staff_client(app, outsider).get(scene.action)
        assert response.status_code in {403, 404}
        assert scene.names[0] not in response.get_data(as_text=True)
    colleague = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert colleague.get(scene.action).status_code == 403  # only the author discards a draft
    assert not scene.acted()
