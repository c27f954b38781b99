"""Hostile input on every public form and the staff filters: random unicode, control characters, huge
values, wrong types. Whatever arrives, the answer is a page (200-4xx), never a 500.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicwatch.accounts.models import Role
from tests.conftest import csrf_token
from tests.factories import post_multipart, staff_client
from tests.security.conftest import report_fields, send_report, track

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])
# Any character a form can carry except NUL, which has its own tests below (PostgreSQL refuses it in text).
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
TEXT = st.one_of(st.text(CHARS, max_size=60), st.text(CHARS, min_size=4000, max_size=6000),
                 st.sampled_from(["", " ", "\u202e\u200b", "'; DROP TABLE cases; --", "<script>x</script>",
                                  "%s%s%n", "{{7*7}}", "../../etc/passwd", "region:", "district:x", ":",
                                  "2026-02-30", "31/12/9999", "0000-00-00", "9" * 400, "\r\n" * 50]))


def accepted(status: int) -> bool:
    return status < 500 and status != 0


@FUZZ
@given(text=TEXT, location=TEXT, area=TEXT, actor=TEXT, phone=TEXT, email=TEXT, date=TEXT,
       choice=st.sampled_from(["anonymous", "contact", "", "other"]), consent=st.sampled_from(["y", "", "no"]))
def test_the_report_form_never_fails(app, client, text, location, area, actor, phone, email, date, choice,
                                     consent):
    fields = report_fields("fuzz", text=text, location_text=location, area=area, reported_actor=actor,
                           phone=phone, email=email, incident_date=date, contact_choice=choice, consent=consent)
    fields["csrf_token"] = csrf_token(client, "/report")
    response = post_multipart(client, "/report", fields)
    assert accepted(response.status_code), response.status_code


@FUZZ
@given(code=TEXT)
def test_the_track_form_never_fails(app, client, code):
    response = client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "code": code})
    assert response.status_code in (303, 400, 429)


@FUZZ
@given(email=TEXT, password=TEXT)
def test_the_sign_in_form_never_fails(app, client, email, password):
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": email, "password": password})
    assert response.status_code in (400, 401)


@pytest.fixture
def tracking_client(app):
    reported = send_report(app, "reply-fuzz")
    client = app.test_client()
    assert track(client, reported.code).status_code == 303
    return client


@FUZZ
@given(text=TEXT)
def test_the_reply_form_never_fails(app, tracking_client, text):
    token = csrf_token(tracking_client, "/track/case")
    response = tracking_client.post("/track/case/reply", data={"csrf_token": token, "text": text})
    assert response.status_code in (303, 400)


@pytest.fixture
def admin_client(app, make_user):
    send_report(app, "staff-fuzz")
    return staff_client(app, make_user(Role.ADMIN))


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["q", "queue", "page", "theme", "actor", "region",
                                                "district", "body", "urgency", "received_from", "received_to",
                                                "reference", "before"]), TEXT, max_size=5),
       path=st.sampled_from(["/staff/", "/staff/cases", "/staff/audit/"]))
def test_staff_filters_never_fail(app, admin_client, params, path):
    response = admin_client.get(path, query_string=params)
    assert accepted(response.status_code), (path, params, response.status_code)


def test_an_unknown_status_filter_is_refused_cleanly(app, admin_client):
    response = admin_client.get("/staff/cases", query_string={"status": "0"})
    assert accepted(response.status_code), response.status_code


# ---------------------------------------------------------------- NUL, field by field

NUL = "abc\x00def"
REPORT_FIELDS = ["text", "location_text", "area", "reported_actor", "phone", "email", "incident_date"]
@pytest.mark.parametrize("field", REPORT_FIELDS)
def test_a_nul_character_in_any_report_field_is_refused_cleanly(app, client, field):
    value = {"area": "region:\x00", "reported_actor": "police\x00"}.get(field, NUL)
    changes = {field: value}
    if field in ("phone", "email"):
        changes["contact_choice"] = "contact"
    fields = report_fields("nul", **changes)
    fields["csrf_token"] = csrf_token(client, "/report")
    response = post_multipart(client, "/report", fields)
    assert response.status_code in (303, 400)


@pytest.mark.parametrize("path", [
    "/staff/audit/?reference=CW\x00", "/staff/?body=police\x00", "/staff/cases?q=a\x00b",
    "/staff/cases?theme=x\x00", "/staff/cases?received_from=2026\x00",
])
def test_a_nul_character_in_staff_filters_is_refused_cleanly(app, admin_client, path):
    base, _, query = path.partition("?")
    key, _, value = query.partition("=")
    response = admin_client.get(base, query_string={key: value})
    assert accepted(response.status_code), response.status_code


def test_a_nul_character_in_the_sign_in_and_track_forms_is_refused_cleanly(app, client):
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": "a\x00@example.org",
                                           "password": "x\x00y"})
    assert response.status_code in (400, 401)
    response = client.post("/track", data={"csrf_token": csrf_token(client, "/track"),
                                           "code": "1234\x00 5678 9012 3456 7"})
    assert response.status_code in (400, 429)
