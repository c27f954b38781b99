"""Wrong receipt codes: one generic message, slow-down, lockout per client, shared by app instances."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch import create_app
from civicwatch.extensions import db
from civicwatch.intake.lockout import client_key
from civicwatch.intake.models import ReceiptLookupFailure
from tests.conftest import csrf_token, make_config

WRONG = "We could not find a case with that receipt code."


def try_code(client, code: str, address: str = "203.0.113.7"):
    token = csrf_token(client, "/track")
    return client.post("/track", data={"csrf_token": token, "code": code},
                       environ_base={"REMOTE_ADDR": address})


def wrong_code(n: int) -> str:
    return f"{n:016d}"


def test_wrong_code_gets_one_generic_message(client, reported):
    response = try_code(client, wrong_code(1))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and WRONG in html
    assert reported.reference not in html


def test_failures_slow_down_then_lock_out(clock, client, reported):
    statuses = []
    for n in range(3):  # typing mistakes cost nothing
        statuses.append(try_code(client, wrong_code(n)).status_code)
    assert statuses == [400, 400, 400]

    blocked = try_code(client, wrong_code(99))
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "5"
    assert "Wait 5 seconds" in blocked.get_data(as_text=True)
    # While blocked even the right code is not checked.
    assert try_code(client, reported.code).status_code == 429

    waits = []
    for n in range(3, 9):
        clock.advance(minutes=6)
        assert try_code(client, wrong_code(n)).status_code == 400
        waits.append(int(try_code(client, wrong_code(n)).headers["Retry-After"]))
    assert waits == [10, 20, 40, 80, 160, 320]  # doubling after each failure

    clock.advance(minutes=6)
    assert try_code(client, wrong_code(10)).status_code == 400  # the tenth failure locks
    locked = try_code(client, reported.code)
    assert locked.status_code == 429 and "Wait 30 minutes" in locked.get_data(as_text=True)
    clock.advance(minutes=29)
    assert try_code(client, reported.code).status_code == 429
    clock.advance(minutes=2)
    assert try_code(client, reported.code).status_code == 303


def test_failures_are_forgotten_after_the_window(clock, client, reported):
    for n in range(3):
        try_code(client, wrong_code(n))
    clock.advance(minutes=61)
    assert try_code(client, wrong_code(7)).status_code == 400
    assert try_code(client, wrong_code(8)).status_code == 400  # counting started again
    assert db.session.scalar(select(ReceiptLookupFailure.failures)) == 2


def test_clients_are_counted_separately(clock, client, reported):
    for n in range(4):
        try_code(client, wrong_code(n), address="198.51.100.1")
    assert try_code(client, wrong_code(5), address="198.51.100.1").status_code == 429
    assert try_code(client, reported.code, address="198.51.100.2").status_code == 303


def test_ipv6_clients_are_counted_per_64_network(app):
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.1") == client_key("192.0.2.1")
    assert client_key(None) == client_key("not an address")


def test_addresses_are_not_stored_in_the_clear(client, reported):
    try_code(client, wrong_code(1), address="192.0.2.55")
    row = db.session.scalars(select(ReceiptLookupFailure)).one()
    assert "192.0.2.55" not in row.client_hash and len(row.client_hash) == 64


def test_malformed_codes_are_not_counted(client, reported):
    for _ in range(6):
        assert try_code(client, "12345").status_code == 400
    assert db.session.scalar(select(ReceiptLookupFailure.client_hash)) is None


def test_lockout_is_shared_by_every_app_instance(clock, app, client, reported, database_url, tmp_path):
    """A second app (another worker or server) on the same database sees the same failures."""
    second_app = create_app(make_config(database_url, tmp_path))
    second = second_app.test_client()
    for n in range(3):
        with second_app.app_context():
            assert try_code(second, wrong_code(n)).status_code == 400
            db.session.remove()
    assert try_code(client, reported.code).status_code == 429
    with second_app.app_context():
        db.engine.dispose()
