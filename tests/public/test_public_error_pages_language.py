"""The error pages a citizen can meet speak the language they chose, in plain words: not English literals nor
Werkzeug's own description ("The requested URL was not found on the server...")."""
from __future__ import annotations

import pytest

from tests.conftest import csrf_token
from tests.intake.test_intake_outages import DeadDatabase

ENGLISH = ["Not Found", "The requested URL was not found on the server", "This form has expired",
           "For your safety the form could not be accepted", "Too many attempts",
           "Please wait a few minutes before trying again", "The service is briefly unavailable",
           "This page cannot be shown just now", "Please try again in a few minutes"]


def choose(client, language: str) -> None:
    client.get(f"/language/{language}?next=/")


def english_in(html: str) -> list[str]:
    return [phrase for phrase in ENGLISH if phrase in html]


@pytest.mark.parametrize("language", ["fr", "kri"])
def test_the_404_page_is_in_the_chosen_language(client, language):
    choose(client, language)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert not english_in(response.get_data(as_text=True))


def test_the_404_page_says_it_without_jargon(client):
    html = client.get("/no-such-page").get_data(as_text=True)
    assert "requested URL" not in html and "on the server" not in html


@pytest.mark.parametrize("language", ["fr", "kri"])
def test_an_expired_report_form_is_explained_in_the_chosen_language(client, language):
    choose(client, language)
    response = client.post("/report", data={"text": "Soldiers beat my brother at the Bo junction post."})
    assert response.status_code == 400
    assert not english_in(response.get_data(as_text=True))


@pytest.fixture
def strict_limit(app_config):
    app_config.update(RATELIMIT_ENABLED=True, TRACK_RATE_LIMIT="1 per minute")


@pytest.mark.parametrize("language", ["fr", "kri"])
def test_the_429_page_is_in_the_chosen_language(strict_limit, client, language):
    choose(client, language)
    token = csrf_token(client, "/track")
    for _ in range(2):
        response = client.post("/track", data={"csrf_token": token, "code": "1111 2222 3333 4444"})
    assert response.status_code == 429
    assert not english_in(response.get_data(as_text=True))


@pytest.mark.parametrize("language", ["fr", "kri"])
def test_the_503_page_is_in_the_chosen_language(client, app, language):
    choose(client, language)
    dead = DeadDatabase(app, "refused")
    dead.start()
    try:
        response = client.get("/published", headers={"Accept": "text/html"})
    finally:
        dead.stop()
    assert response.status_code == 503
    assert not english_in(response.get_data(as_text=True))
