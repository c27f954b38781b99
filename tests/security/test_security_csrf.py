"""CSRF: every state-changing POST in the URL map refuses a request without a valid token, for a signed-in
admin (who may do everything, so only the token stands in the way). Machine endpoints are the only
exemptions, and they must carry their own secret instead (Twilio's signature, Open311's api_key).
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus, RemedyStatus
from civicwatch.extensions import csrf, db
from civicwatch.taxonomy.models import Body
from tests.conftest import PASSWORD, csrf_token
from tests.factories import post_multipart, staff_client
from tests.security.conftest import build_path, place_case, report_fields, rules_with, send_report, snapshot, track

# Views that carry their own secret and are therefore exempt from CSRF; nothing else may be.
MACHINE_ENDPOINTS = {"sms.inbound", "sms.delivery_status", "interfaces.requests_create"}


def view_names(app) -> dict[str, str]:
    return {f"{view.__module__}.{view.__name__}": endpoint for endpoint, view in app.view_functions.items()}


def exempt_endpoints(app) -> set[str]:
    names = view_names(app)
    endpoints = {names[name] for name in csrf._exempt_views if name in names}
    endpoints |= {e for e in app.view_functions if e.split(".")[0] in csrf._exempt_blueprints}
    return endpoints


def test_only_machine_endpoints_are_exempt_from_csrf(app):
    exempt = exempt_endpoints(app)
    assert exempt <= MACHINE_ENDPOINTS, exempt - MACHINE_ENDPOINTS
    assert not csrf._exempt_blueprints


def _hostile_data(case: Case, token: str | None) -> dict[str, str]:
    prefixes = ["route", "correct", "assign", "recuse", "note", "message", "clock", "findings", "recommend",
                "draft", "remedy-1"] + [f"to-{status.value}" for status in CaseStatus]
    data = {}
    for prefix in prefixes:
        data[f"{prefix}-version"] = str(case.version)
        if token:
            data[f"{prefix}-csrf_token"] = token
    body_id = db.session.scalar(select(Body.id).where(Body.code == "justice_inspectorate"))
    data.update({"route-body": str(body_id), "route-reason": "x", "note-text": "Forged note.",
                 "message-text": "Forged message.", "recuse-reason": "x", "recommend-text": "x",
                 "draft-text": "x", "findings-outcome": "unfounded", "findings-findings": "x",
                 "remedy-1-status": RemedyStatus.IMPLEMENTED.value, "active": "0", "text": "A forged message here.",
                 "email": "new@example.org", "name": "New", "role": "admin", "password": "another long password",
                 "current_password": "correct horse battery staple", "new_password": "forged long password",
                 "confirm": "forged long password", "code": "123456", "phone": "+23276123456", "body": "hello",
                 **{f"to-{s.value}-reason": "Forged." for s in CaseStatus}})
    return data


@pytest.fixture
def signed_in_admin(app, make_user):
    admin = make_user(Role.ADMIN)
    victim = make_user(Role.TRIAGE)
    reported = send_report(app, "csrf")
    place_case(reported.case_id, "police_oversight", CaseStatus.INVESTIGATING)
    client = staff_client(app, admin)
    # The complainant's case is also open in this browser, so /track/case/reply has a case to act on.
    assert track(client, reported.code).status_code == 303
    return client, {"case_id": reported.case_id, "user_id": victim.id, "attachment_id": 1,
                    "recommendation_id": 1, "body_id": 1, "message_id": 1, "target": "closed"}


@pytest.mark.parametrize("token", ["missing", "forged", "other_session"])
def test_every_post_without_a_valid_token_is_refused_and_changes_nothing(app, signed_in_admin, token):
    client, values = signed_in_admin
    exempt = exempt_endpoints(app)
    if token == "missing":
        value = None
    elif token == "forged":
        value = "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb"
    else:
        value = csrf_token(app.test_client())  # valid, but for another browser
    case = db.session.get(Case, values["case_id"])
    data = _hostile_data(case, value)
    if value:
        data["csrf_token"] = value
    before = snapshot(exclude=("audit_entries",))
    checked = []
    for rule in rules_with(app, "POST"):
        if rule.endpoint in exempt:
            continue
        path = build_path(rule, values)
        response = client.post(path, data=data)
        assert response.status_code == 400, (path, response.status_code)
        assert "This form has expired" in response.get_data(as_text=True), path
        checked.append(rule.endpoint)
    assert snapshot(exclude=("audit_entries",)) == before
    assert {"accounts.login", "accounts.logout", "intake.report", "intake.track", "intake.reply", "intake.leave",
            "cases.route", "cases.add_note", "cases.set_active", "accounts.users"} <= set(checked)
    # Still signed in and still following the case: the forged logout and leave did nothing.
    assert client.get("/staff/").status_code == 200
    assert client.get("/track/case").status_code == 200


def test_a_report_without_a_token_is_not_stored(app, client):
    before = db.session.query(Case).count()
    response = post_multipart(client, "/report", report_fields("no-token"))
    assert response.status_code == 400
    assert db.session.query(Case).count() == before


def test_a_cross_site_login_is_refused(app, make_user, client):
    """Login CSRF: an attacker's page cannot sign the victim's browser in to the attacker's account."""
    user = make_user(Role.TRIAGE)
    response = client.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


# ---------------------------------------------------------------- machine endpoints carry their own secret

TWILIO_TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def app_config(app_config):
    app_config["TWILIO_AUTH_TOKEN"] = TWILIO_TOKEN
    app_config["TWILIO_ACCOUNT_SID"] = "AC" + "0" * 32
    app_config["TWILIO_FROM_NUMBER"] = "+23225000000"
    return app_config


def _signed(path: str, params: dict[str, str], url_base: str = "http://localhost") -> str:
    from twilio.request_validator import RequestValidator

    return RequestValidator(TWILIO_TOKEN).compute_signature(url_base + path, params)


def test_twilio_webhooks_refuse_unsigned_and_missigned_requests(app, client):
    if "sms.inbound" not in app.view_functions:
        pytest.skip("the SMS webhook is not part of this build yet")
    params = {"MessageSid": "SM" + "a" * 32, "From": "+23276123456", "To": "+23225000000",
              "Body": "Police took my brother"}
    status_params = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"}
    before = snapshot(exclude=("audit_entries",))
    for path, data in (("/sms/inbound", params), ("/sms/status", status_params)):
        assert client.post(path, data=data).status_code == 403
        bad = {"X-Twilio-Signature": _signed(path, {**data, "Body": "something else"})}
        assert client.post(path, data=data, headers=bad).status_code == 403
        other_host = {"X-Twilio-Signature": _signed(path, data, "http://evil.example")}
        assert client.post(path, data=data, headers=other_host).status_code == 403
        wrong_key = {"X-Twilio-Signature": "A" * 28}
        assert client.post(path, data=data, headers=wrong_key).status_code == 403
    assert snapshot(exclude=("audit_entries",)) == before
    # Control: the correctly signed request is accepted.
    good = {"X-Twilio-Signature": _signed("/sms/inbound", params)}
    assert client.post("/sms/inbound", data=params, headers=good).status_code == 200


def test_open311_creation_refuses_a_missing_or_wrong_api_key(app, client):
    exempt = exempt_endpoints(app)
    rules = [r for r in rules_with(app, "POST") if r.endpoint.startswith("interfaces.") and r.endpoint in exempt]
    if not rules:
        pytest.skip("Open311 is not part of this build yet")
    fields = {"service_code": "misconduct", "description": "Police beat a trader at the market in Bo town.",
              "lat": "7.96", "long": "-11.74"}
    before = snapshot(exclude=("audit_entries",))
    for rule in rules:
        path = build_path(rule, {"fmt": "json"})
        for key in (None, "", "not-a-key", "' OR '1'='1"):
            data = dict(fields) if key is None else {**fields, "api_key": key}
            response = client.post(path, data=data)
            assert response.status_code in (401, 403), (path, key, response.status_code)
    assert snapshot(exclude=("audit_entries",)) == before


def test_a_token_from_before_the_sign_in_is_refused_after_it(client, make_user):
    """A token planted or read before the sign-in (a shared computer, a cookie set by a sibling site) must not
    serve the signed-in session: signing in gives a new one."""
    user = make_user(Role.ADMIN)
    before = csrf_token(client, "/login")
    signed_in = client.post("/login", data={"csrf_token": before, "email": user.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/account").status_code == 200  # still signed in
    after = csrf_token(client, "/account")
    assert after != before
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302
