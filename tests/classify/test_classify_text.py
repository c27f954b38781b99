"""Cleaning text before classification."""
from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicwatch.classify.text import MAX_CHARS, has_words, prepare_text, prepare_texts, split_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  police beat me  ", "police beat me"),
        ("pleeeeease help", "pleease help"),
        ("a\x00b\x07c", "a b c"),
        ("ﬁne", "fine"),  # NFKC folds the ligature
        ("two   spaces\tand tab", "two spaces and tab"),
        ("line one\nline two", "line one\nline two"),
        ("\ud800broken surrogate", "broken surrogate"),
    ],
)
def test_prepare_text_normalises(raw: str, expected: str) -> None:
    assert prepare_text(raw) == expected


@pytest.mark.parametrize("value", [None, 42, ["a list"], {"text": "x"}])
def test_prepare_text_reads_anything_that_is_not_text_as_empty(value: object) -> None:
    assert prepare_text(value) == ""


def test_prepare_text_decodes_bytes_and_replaces_garbage() -> None:
    assert prepare_text(b"soldiers at the gate") == "soldiers at the gate"
    assert prepare_text(b"\xff\xfe\x00abc") == "abc"


def test_prepare_text_cuts_very_long_text() -> None:
    assert len(prepare_text("word " * 50_000)) <= MAX_CHARS


@pytest.mark.parametrize(("text", "expected"), [("", False), ("   ", False), ("😀🙏🔥", False), ("?!...", False),
                                                ("a", True), ("911", True), ("полиция", True)])
def test_has_words(text: str, expected: bool) -> None:
    assert has_words(prepare_text(text)) is expected


def test_split_key_ignores_case_and_spacing() -> None:
    assert split_key("  The Police\n beat ME ") == split_key("the police beat me")


def folded_everywhere(text: str) -> str:
    """prepare_text as it was written before the shortcut: every run of spaces substituted."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]+", " ", text)
    text = re.sub(r"(\w)\1{2,}", r"\1\1", text)
    return re.sub(r"[ \t\u00a0]+", " ", text)[:MAX_CHARS].strip()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \t\u00a0\n\u3000\x0b")), max_size=40))
def test_spaces_are_made_single_whether_or_not_the_text_needs_it(text: str) -> None:
    """The shortcut for texts without a run to fold gives what folding every run would."""
    assert prepare_text(text) == folded_everywhere(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet=st.sampled_from(list("aab1_ \x00\x07é😀.")), max_size=12), st.none(),
                          st.binary(max_size=6)), max_size=30))
def test_a_batch_is_prepared_as_each_text_alone(texts: list[object]) -> None:
    """Texts in a batch (empty ones side by side, runs at a text's start or end) are cleaned as they are alone."""
    assert prepare_texts(texts) == [prepare_text(text) for text in texts]
