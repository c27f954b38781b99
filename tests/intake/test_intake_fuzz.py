"""Bad input never produces a 500: random values in every field of every intake form."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import csrf_token
from tests.factories import post_multipart
from tests.intake.conftest import case_page_token, open_case, post_report

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
wild = st.one_of(text, st.sampled_from(["", " ", "\x00", "district:bo", "region:", ":", "district:bo:x",
                                        "9999-99-99", "2026-02-30", "+", "@", "anonymous", "contact", "y",
                                        "police", "unknown", "0" * 5000]))
files = st.lists(st.tuples(st.binary(max_size=300) | st.sampled_from([b"\xff\xd8\xff", b"%PDF-", b"\x89PNG\r\n\x1a\n"]),
                           text.filter(lambda name: "\x00" not in name)), max_size=3)
REPORT_FIELDS = ["text", "incident_date", "area", "location_text", "reported_actor", "contact_choice", "phone",
                 "email", "consent", "website"]


@FUZZ
@given(values=st.dictionaries(st.sampled_from(REPORT_FIELDS), wild), attached=files)
def test_report_form_never_fails_on_bad_input(client, values, attached):
    response = post_report(client, files=attached, **values)
    assert response.status_code in (303, 400), response.status_code


@FUZZ
@given(code=wild)
def test_track_form_never_fails_on_bad_input(client, code):
    response = client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "code": code})
    assert response.status_code in (303, 400, 429), response.status_code


@FUZZ
@given(message=wild, attached=files)
def test_reply_form_never_fails_on_bad_input(client, reported, message, attached):
    open_case(client, reported.code)
    response = post_multipart(client, "/track/case/reply", {"csrf_token": case_page_token(client),
                                                             "text": message}, attached)
    assert response.status_code in (303, 400), response.status_code
