from __future__ import annotations

import pytest

from civicwatch.cases.identity import mask_phone
from civicwatch.crypto import keyed_hash
from civicwatch.phones import normalise_phone, phone_hash


@pytest.mark.parametrize("raw, expected", [
    ("+232 76 123456", "+23276123456"),
    ("076 123456", "+23276123456"),
    ("0023276123456", "+23276123456"),
    ("+1 (202) 555-0143", "+12025550143"),
    ("12", None), ("", None), (None, None), ("not a number", None), ("+999123", None), ("9" * 100, None),
])
def test_normalise_phone_to_e164(raw, expected):
    assert normalise_phone(raw, "SL") == expected


# The one mask of every staff page (the case page's and the outbox's): the country and the last two digits.
@pytest.mark.parametrize("e164, masked", [
    ("+23276124567", "+232 ••• ••67"),
    ("+12025550143", "+1 ••• ••43"),
    ("", None), (None, None),
])
def test_mask_phone_shows_country_and_last_two(e164, masked):
    assert mask_phone(e164) == masked


def test_phone_hash_is_keyed_and_shared_with_cases(app):
    assert phone_hash("+23276123456") == keyed_hash("phone", "+23276123456")
    assert phone_hash("+23276123456") != phone_hash("+23276123457")
    assert "23276123456" not in phone_hash("+23276123456")
