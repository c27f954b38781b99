"""The triage threshold a model chose at training time routes cases unless an admin set one; the routing page
shows it with its target and coverage."""
from __future__ import annotations

import html
import json
from pathlib import Path

from flask import Flask

from civicwatch.accounts.models import Role
from civicwatch.classify.files import META_FILE
from civicwatch.extensions import db
from civicwatch.routing.operations import route_new_case
from civicwatch.routing.queries import routing_threshold, threshold_source
from civicwatch.taxonomy.models import Setting
from tests.conftest import csrf_token

PAGE = "/staff/routing/"


def _route(case) -> None:
    route_new_case(case)
    db.session.commit()


def test_the_models_threshold_applies_when_no_admin_set_one(make_case, use_fake_classifier) -> None:
    assert db.session.get(Setting, "routing_confidence_threshold").value is None
    use_fake_classifier(theme="corruption", confidence=0.6, triage_threshold=0.7)
    case = make_case()
    _route(case)
    assert case.body_id is None and case.routing_explanation["threshold"] == 0.7
    assert "below the threshold 0.70" in case.routing_explanation["reason"]
    use_fake_classifier(theme="corruption", confidence=0.75, triage_threshold=0.7)
    routed = make_case()
    _route(routed)
    assert routed.body.code == "anti_corruption_commission"


def test_an_admins_threshold_overrides_the_models(make_case, use_fake_classifier) -> None:
    db.session.get(Setting, "routing_confidence_threshold").value = 0.3
    db.session.commit()
    use_fake_classifier(theme="corruption", confidence=0.6, triage_threshold=0.7)
    case = make_case()
    _route(case)
    assert case.body.code == "anti_corruption_commission" and case.routing_explanation["threshold"] == 0.3
    assert threshold_source(0.7) == "setting"


def test_without_either_the_default_applies(make_case, use_fake_classifier) -> None:
    use_fake_classifier(theme="corruption", confidence=0.45)
    case = make_case()
    _route(case)
    assert case.body_id is None and case.routing_explanation["threshold"] == 0.5
    assert routing_threshold(None) == 0.5 and threshold_source(None) == "default"


def _with_triage(app: Flask, version: str) -> None:
    """The active model's meta as training writes it when the development split was large enough."""
    path = Path(app.config["MODEL_DIR"]) / version / META_FILE
    meta = json.loads(path.read_text())
    meta["triage"] = {"threshold": 0.62, "coverage": 0.87, "routed_accuracy": 0.931, "target": 0.92,
                      "examples": 499}
    meta["metrics"] = {"held_out": {"theme": {"accuracy": 0.9}, "routing": {
        "threshold": 0.62, "coverage": 0.85, "routed_accuracy": 0.94, "routed": 560, "examples": 657}}}
    path.write_text(json.dumps(meta))


def test_the_page_shows_the_models_threshold_target_and_coverage(app, active_model, make_user, login_as) -> None:
    _with_triage(app, active_model)
    page = login_as(make_user(Role.TRIAGE)).get(PAGE).get_data(as_text=True)
    assert "0.62" in page and "the model's own" in html.unescape(page)
    assert "Target accuracy of routed cases</dt><dd>92%" in page
    assert "87% of 499 examples" in page and "85% routed" in page and "94.0% of them right" in page


def test_an_admin_goes_back_to_the_models_threshold(app, active_model, make_user, login_as, make_case,
                                                      use_fake_classifier) -> None:
    _with_triage(app, active_model)
    client = login_as(make_user(Role.ADMIN))
    client.post("/staff/routing/threshold", data={"csrf_token": csrf_token(client, PAGE), "threshold": "0.2"})
    page = client.get(PAGE).get_data(as_text=True)
    assert "set by an admin" in page and "Use the model's threshold" in html.unescape(page)
    response = client.post("/staff/routing/threshold/model", data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 302
    assert db.session.get(Setting, "routing_confidence_threshold").value is None
    assert "0.62" in client.get(PAGE).get_data(as_text=True)
    use_fake_classifier(theme="corruption", confidence=0.5, triage_threshold=0.62)
    case = make_case()
    _route(case)
    assert case.body_id is None and case.routing_explanation["threshold"] == 0.62


def test_going_back_needs_an_admin_and_the_csrf_token(make_user, login_as) -> None:
    triage = login_as(make_user(Role.TRIAGE))
    token = csrf_token(triage, PAGE)
    assert triage.post("/staff/routing/threshold/model", data={"csrf_token": token}).status_code == 403
