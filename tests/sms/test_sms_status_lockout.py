"""STATUS with a receipt code finds a case from any phone, so wrong codes count against the phone that sends
them, in the same lockout table as wrong codes on /track (shared by every worker process): a few typing
mistakes are free, then each try waits, then the phone is locked out and not even a right code is checked."""
from __future__ import annotations

import re

from sqlalchemy import select

from civicwatch.crypto import keyed_hash
from civicwatch.extensions import db
from civicwatch.intake.models import ReceiptLookupFailure
from civicwatch.sms.operations import RECEIPT_GUESSER_PURPOSE
from civicwatch.sms.replies import Reply, render_reply
from tests.sms.conftest import OTHER_PHONE

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
ATTACKER = "+23278000111"
OPENED = re.compile(r"report (CW-\d{4}-\d{6}) received\. Your secret receipt code is (\d{4} \d{4} \d{4} \d{4})\.")
LOCKED = "too many wrong receipt codes were sent from this phone"


def opened(reply: str | None) -> tuple[str, str]:
    match = OPENED.search(reply or "")
    assert match, reply
    return match.group(1), match.group(2)


def wrong_code(n: int) -> str:
    return f"{9000 + n:04d} 0000 0000 0000"


def guess_until_locked_out(text, clock, app) -> int:
    """Wrong codes from ATTACKER, each one sent once the previous wait is over (so that each is checked),
    until the phone is locked out; how many it took."""
    config = app.config
    for n in range(1, config["TRACK_LOCKOUT_AFTER"] + 1):
        assert text(f"STATUS {wrong_code(n)}", phone=ATTACKER) == render_reply(Reply.CODE_NOT_FOUND)
        if n < config["TRACK_LOCKOUT_AFTER"]:
            waited = 0 if n < config["TRACK_SLOWDOWN_AFTER"] else \
                config["TRACK_SLOWDOWN_SECONDS"] * 2 ** (n - config["TRACK_SLOWDOWN_AFTER"])
            clock.advance(seconds=waited + 1)
    return n


def test_guesses_from_one_phone_lock_it_out_and_another_phone_is_not(text, clock, app):
    reference, code = opened(text(REPORT))
    guesses = guess_until_locked_out(text, clock, app)
    assert guesses == 10

    # Locked out: the right code is not even checked, and the reply gives nothing away.
    reply = text(f"STATUS {code}", phone=ATTACKER)
    assert LOCKED in reply and "30 minutes" in reply and reference not in reply
    clock.advance(minutes=29)
    assert LOCKED in text(f"STATUS {code}", phone=ATTACKER)

    # Another phone is not locked out, and neither is the owner's.
    assert reference in text(f"STATUS {code}", phone=OTHER_PHONE)
    assert reference in text(f"STATUS {code}")

    clock.advance(minutes=2)
    assert reference in text(f"STATUS {code}", phone=ATTACKER)  # the lockout is over


def test_rapid_guesses_wait_after_the_first_few_mistakes(text, clock, app):
    _, code = opened(text(REPORT))
    for n in range(1, app.config["TRACK_SLOWDOWN_AFTER"] + 1):
        assert text(f"STATUS {wrong_code(n)}", phone=ATTACKER) == render_reply(Reply.CODE_NOT_FOUND)
    reply = text(f"STATUS {code}", phone=ATTACKER)
    assert reply == render_reply(Reply.TOO_MANY_CODES, wait="5 seconds")
    clock.advance(seconds=5)
    assert "CW-" in text(f"STATUS {code}", phone=ATTACKER)


def test_the_count_is_kept_under_a_keyed_hash_of_the_phone_only(text, clock):
    text(f"STATUS {wrong_code(1)}", phone=ATTACKER)
    row = db.session.scalars(select(ReceiptLookupFailure)).one()
    assert row.client_hash == keyed_hash(RECEIPT_GUESSER_PURPOSE, ATTACKER) and row.failures == 1
    assert ATTACKER[1:] not in row.client_hash


def test_status_without_a_code_costs_nothing(text, clock):
    for _ in range(12):
        text("STATUS", phone=ATTACKER)
        text("STATUS CW-2026-000001", phone=ATTACKER)
    assert db.session.scalars(select(ReceiptLookupFailure)).all() == []
