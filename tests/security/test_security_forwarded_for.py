"""Client addresses behind the documented deployment: `CIVICWATCH_TRUSTED_PROXIES` says how many proxies set
X-Forwarded-For, and only the address the nearest of them appended counts. An attacker writes X-Forwarded-For (and
X-Real-IP...) themselves, a new address each time: the proxy appends theirs after it, and the receipt-code lockout
and the sign-in backoff still count them as one client. Passed before these tests were written: they pin it down."""
from __future__ import annotations

import pytest

from civicwatch.accounts.models import Role
from tests.conftest import csrf_token
from tests.security.conftest import send_report, track

PROXY = "10.0.0.2"  # the reverse proxy, the app's only peer
ATTACKER = "198.51.100.7"


@pytest.fixture
def app_config(app_config):
    app_config["TRUSTED_PROXIES"] = 1
    return app_config


def through_the_proxy(attempt: int) -> dict:
    """What the proxy passes on: the forged header the attacker sent, with the attacker's address appended."""
    forged = f"203.0.113.{attempt % 250 + 1}, 2001:db8::{attempt + 1:x}"
    return {"environ_base": {"REMOTE_ADDR": PROXY},
            "headers": {"X-Forwarded-For": f"{forged}, {ATTACKER}", "X-Real-IP": f"203.0.113.{attempt % 250 + 1}",
                        "Forwarded": f"for={forged.split(',')[0]}"}}


def test_forged_forwarded_addresses_do_not_escape_the_receipt_lockout(app, client, clock):
    reported = send_report(app, "forwarded")
    for attempt in range(app.config["TRACK_LOCKOUT_AFTER"] + 3):
        track(client, "1212 3434 5656 7878", **through_the_proxy(attempt))
        clock.advance(minutes=3)
    assert track(client, reported.code, **through_the_proxy(999)).status_code == 429
    # Another client behind the same proxy is not locked out with the attacker.
    other = {"environ_base": {"REMOTE_ADDR": PROXY}, "headers": {"X-Forwarded-For": "192.0.2.44"}}
    assert track(app.test_client(), reported.code, **other).status_code == 303


def test_forged_forwarded_addresses_do_not_escape_the_sign_in_backoff(app, client, clock, make_user):
    user = make_user(Role.ADMIN)
    limit = app.config["LOGIN_LOCKOUT_AFTER"]
    statuses = []
    for attempt in range(limit + 2):
        response = client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": user.email,
                                                "password": "not the password"}, **through_the_proxy(attempt))
        statuses.append(response.status_code)
        clock.advance(minutes=1)
    assert 429 in statuses[-2:], statuses
