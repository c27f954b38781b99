"""Counting SMS segments: GSM-7 (escapes count two) or UCS-2 (UTF-16 code units), one text or joined."""
from __future__ import annotations

import pytest

from civicwatch.messaging.segments import (
    BODY_LIMIT,
    is_gsm7,
    length_guide,
    segment_count,
    sms_length,
    split_for_sending,
)


@pytest.mark.parametrize(("text", "segments"), [
    ("", 1),
    ("a" * 160, 1),
    ("a" * 161, 2),
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("€" * 80, 1),  # an escape and a septet each: 160
    ("a" * 159 + "€", 2),  # 161 septets
    ("[" + "a" * 158, 1),
    ("é" * 160, 1),  # é is in the basic GSM-7 table
    ("a" * 69 + "😀", 2),  # the emoji makes it UCS-2 and takes two code units: 71
    ("a" * 68 + "😀", 1),  # 70 code units
    ("ж" * 70, 1),
    ("ж" * 71, 2),
    ("ж" * 134, 2),
    ("ж" * 135, 3),
])
def test_segment_count(text, segments):
    assert segment_count(text) == segments


@pytest.mark.parametrize(("text", "segments"), [
    # 306 septets, two joined segments' worth, but the euro's escape and septet cannot be parted: the first
    # segment ends with 152 septets and a third one is needed.
    ("a" * 152 + "€" + "a" * 152, 3),
    ("a" * 151 + "€" + "a" * 153, 2),  # the euro ends the first segment exactly
    # 134 code units, but the emoji's surrogate pair cannot be parted either.
    ("ж" * 66 + "😀" + "ж" * 66, 3),
    ("ж" * 65 + "😀" + "ж" * 67, 2),
])
def test_a_character_that_takes_two_units_is_never_split_between_segments(text, segments):
    assert segment_count(text) == segments


def test_the_euro_sign_counts_two_in_gsm7():
    length = sms_length("€")
    assert length.gsm7 and length.units == 2
    assert sms_length("e").units == 1


def test_one_emoji_sends_the_whole_text_as_ucs2():
    assert is_gsm7("Hello") and not is_gsm7("Hello 😀")
    length = sms_length("Hello 😀")
    assert not length.gsm7 and length.units == 8 and length.per_text == 70


def test_a_character_outside_both_gsm7_tables_is_ucs2():
    assert not sms_length("ç").gsm7  # only the capital Ç is in the basic table
    assert sms_length("Ç").gsm7


def test_the_guide_counts_the_prefix_the_text_is_sent_with():
    prefix = "CivicWatch CW-2026-000001: "  # 27 characters
    assert length_guide("", prefix) == "Sent by SMS: 1 text holds 133 characters; this one: 1 text."
    assert length_guide("a" * 133, prefix).endswith("this one: 1 text.")
    assert length_guide("a" * 134, prefix).endswith("this one: 2 texts.")


def test_the_guide_says_why_a_short_text_with_an_emoji_takes_more():
    guide = length_guide("Thank you 🙏 " + "a" * 40)
    assert "1 text holds 70 characters" in guide and "emoji" in guide
    assert guide.endswith("this one: 1 text.")
    assert length_guide("a" * 60 + "🙏").endswith("this one: 1 text.")
    assert length_guide("a" * 69 + "🙏").endswith("this one: 2 texts.")


def test_a_text_twilio_takes_is_one_part():
    assert split_for_sending("a" * BODY_LIMIT) == ["a" * BODY_LIMIT]


def test_a_longer_text_is_cut_at_a_space_and_loses_nothing_else():
    text = " ".join(["word"] * 700)
    parts = split_for_sending(text)
    assert len(parts) == 3 and all(len(part) <= BODY_LIMIT for part in parts)
    assert " ".join(parts) == text


def test_characters_beyond_the_bmp_count_twice_and_a_word_without_spaces_is_cut_where_the_limit_falls():
    parts = split_for_sending("\U0001F600" * 1000)
    assert [len(part) for part in parts] == [800, 200] and "".join(parts) == "\U0001F600" * 1000
