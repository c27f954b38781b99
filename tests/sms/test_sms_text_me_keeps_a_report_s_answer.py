"""TEXTME takes back what the phone's own QUIET said, never a web report's "no": whoever holds the phone now (maybe
the people the report is about) must not turn the texts about that report back on; only the receipt code's
follow-up page takes a report's answer back."""
from __future__ import annotations

from civicwatch.messaging.queries import is_safe_to_text
from civicwatch.phones import phone_hash
from tests.messaging.test_messaging_safe_to_text import report
from tests.sms.conftest import PHONE


def test_textme_does_not_lift_a_web_report_s_no(client, text, clock):
    report(client, "no")
    assert not is_safe_to_text(phone_hash(PHONE))
    text("TEXTME")
    assert not is_safe_to_text(phone_hash(PHONE))


def test_textme_lifts_the_phone_s_own_quiet(text, clock):
    text("QUIET")
    assert not is_safe_to_text(phone_hash(PHONE))
    text("TEXTME")
    assert is_safe_to_text(phone_hash(PHONE))
    text("QUIET")
    text("QUIET")  # said twice, one marking: one TEXTME undoes it
    text("TEXTME")
    assert is_safe_to_text(phone_hash(PHONE))
