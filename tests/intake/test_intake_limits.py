"""Abuse limits: requests per client (Flask-Limiter) and the size of what is sent (413)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from civicwatch.cases import attachments
from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import jpeg_with_gps
from tests.intake.conftest import post_report

MB = 1024 * 1024


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "REPORT_RATE_LIMIT": "2 per minute", "TRACK_RATE_LIMIT": "3 per minute",
            "REPORT_FILES_RATE_LIMIT": "10 per minute"}


def test_reports_are_limited_per_client(client):
    statuses = [post_report(client).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
    assert client.get("/report").status_code == 200  # reading the form is not limited


def test_follow_up_attempts_are_limited_per_client(client):
    responses = [client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "code": "1234"})
                 for _ in range(4)]
    assert [r.status_code for r in responses] == [400, 400, 400, 429]
    assert "Too many attempts" in responses[-1].get_data(as_text=True)


def test_too_large_a_request_gets_a_clear_413_page(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    files = [(b"%PDF-1.4\n" + b"0" * (10 * MB - 100), f"part{i}.pdf") for i in range(limit // (10 * MB) + 1)]
    response = post_report(client, files=files)
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "What you sent is too large" in html and "each file under 10 MB" in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_mistakes_do_not_use_up_the_report_limit(client):
    """Forms sent back with mistakes do not count; only stored reports do."""
    mistakes = [post_report(client, text="short").status_code for _ in range(5)]
    assert mistakes == [400] * 5
    assert [post_report(client).status_code for _ in range(2)] == [303, 303]
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_forms_refused_after_their_files_were_checked_use_up_a_limit_of_files(client, monkeypatch):
    """Every photo is decoded and re-encoded before the form is answered, in one of the process's few preparation
    slots, whatever else is wrong with the form. A form refused after that (no consent, a robot's honeypot) costs
    the same work as a stored report; if it used up no limit, one client could keep the slots busy for ever and
    every citizen's photos would wait, then be refused (503). Mistakes without files stay free."""
    prepared = []
    reencode = attachments.reencode_image
    monkeypatch.setattr(attachments, "reencode_image", lambda *args: prepared.append(1) or reencode(*args))
    photos = [(jpeg_with_gps(), f"photo{i}.jpg") for i in range(5)]
    statuses = [post_report(client, consent=None, files=photos).status_code for _ in range(4)]
    assert statuses == [400, 400, 429, 429]
    assert len(prepared) == 10  # the limit's ten files, no more
    assert post_report(client, website="https://spam.example", files=photos[:1]).status_code == 429
    assert [post_report(client, text="short").status_code, post_report(client).status_code] == [400, 303]
    assert len(prepared) == 10


def test_a_limited_report_comes_back_filled_with_a_wait_message(client):
    for _ in range(2):
        assert post_report(client).status_code == 303
    text = "Soldiers at the Kenema market beat a trader and took his goods without any receipt."
    response = post_report(client, text=text, location_text="Kenema market", files=[(b"%PDF-1.4\n", "a.pdf")])
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Please wait before sending" in html and "Wait " in html and "choose your files again" in html
    assert re.search(rf">\s*{text}</textarea>", html) and 'value="Kenema market"' in html
    assert 'name="csrf_token"' in html and 'name="form_key"' in html  # ready to send again
    assert "Too many attempts" not in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
