"""An Open311 key ends API_KEY_LIFETIME_DAYS (365) after it was issued: a key a partner stopped using, or one that
leaked, does not send complaints for ever. The client is told that its key expired and what to do; the
administrators see each key's end on the keys page and in `api-key list`. Keys issued before keys had an end keep
working, and are listed as having none, so that administrators can replace them."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.extensions import db
from civicwatch.interfaces.models import ApiKey
from civicwatch.interfaces.operations import authenticate_api_key, issue_api_key
from civicwatch.settings import SettingsError, check_settings
from tests.interfaces.conftest import COMPLAINT
from tests.interfaces.test_interfaces_openapi_errors import assert_documented


def send(client, secret: str):
    return client.post("/open311/v2/requests.json", data={**COMPLAINT, "api_key": secret})


def test_a_key_works_for_a_year_then_the_client_is_told_it_expired(clock, client, api_key):
    key = db.session.scalar(select(ApiKey))
    assert key.expires_at == clock.now + dt.timedelta(days=365)
    clock.advance(days=364)
    assert send(client, api_key).status_code == 200
    clock.advance(days=1)
    response = send(client, api_key)
    assert response.status_code == 403
    error = response.get_json()[0]
    assert error["code"] == 403 and error["error_code"] == "api_key_expired"
    assert "expired on 2027-03-12" in error["description"] and "new api_key" in error["description"]
    assert_documented(client, response)
    assert authenticate_api_key(api_key) is None


def test_the_lifetime_is_a_setting(app, client, clock):
    app.config["API_KEY_LIFETIME_DAYS"] = 30
    _, secret = issue_api_key("Short pilot", None)
    db.session.commit()
    clock.advance(days=30, seconds=1)
    assert send(client, secret).get_json()[0]["error_code"] == "api_key_expired"


@pytest.mark.parametrize("days", [0, -1, 3651, True, "365"])
def test_a_lifetime_that_makes_no_sense_is_refused_at_start(app, days):
    with pytest.raises(SettingsError, match="CIVICWATCH_API_KEY_LIFETIME_DAYS"):
        check_settings({**app.config, "API_KEY_LIFETIME_DAYS": days})


def test_a_key_issued_before_keys_had_an_end_keeps_working(clock, client, api_key):
    key = db.session.scalar(select(ApiKey))
    key.expires_at = None
    db.session.commit()
    clock.advance(days=2000)
    assert send(client, api_key).status_code == 200


def test_administrators_see_when_each_key_ends(clock, app, make_user, browser_for, api_key):
    _, old = issue_api_key("Old partner", None)
    db.session.scalar(select(ApiKey).where(ApiKey.name == "Old partner")).expires_at = None
    db.session.commit()
    admin = browser_for(make_user(Role.ADMIN))
    page = admin.get("/staff/api-keys").get_data(as_text=True)
    assert "Active until 12 Mar 2027" in page
    assert "Active, no end date" in page
    listed = app.test_cli_runner().invoke(args=["civicwatch", "api-key", "list"]).output
    assert re.search(r"active until 2027-03-12\b.*Freetown civic app", listed)
    assert re.search(r"active, no end date.*Old partner", listed)

    clock.advance(days=400)
    admin = browser_for(make_user(Role.ADMIN))
    page = admin.get("/staff/api-keys").get_data(as_text=True)
    assert "Expired 12 Mar 2027" in page
    assert "expired 2027-03-12" in app.test_cli_runner().invoke(args=["civicwatch", "api-key", "list"]).output
