"""What every form's text goes through: format characters (zero-width spaces and joiners, direction marks) stay
inside words, where scripts and emoji need them, but a text of nothing else is empty and they add no length."""
from __future__ import annotations

import pytest

from civicwatch.errors import DomainError
from civicwatch.text import check_reason, one_line, tidy_text, visible_length


@pytest.mark.parametrize("raw", ["\u200b", " \u202e\u200b\n\t", "\ufeff\u2060\u200d\u200c\u200e\u200f", "\u3000\u200b"])
def test_a_text_of_spaces_and_format_characters_is_empty(raw: str) -> None:
    assert tidy_text(raw) == ""


def test_format_characters_inside_a_text_are_kept_but_not_counted() -> None:
    family = "Mama \U0001f469\u200d\U0001f467 gone"
    assert tidy_text(family) == family
    assert visible_length(family) == len(family) - 1
    assert visible_length("plain words") == 11


def test_a_reason_padded_with_format_characters_is_too_short(app) -> None:
    with app.test_request_context():
        with pytest.raises(DomainError, match="at least 20 characters"):
            check_reason("No." + "\u200b" * 30, 20, 500)
        assert check_reason("A sentence that is long enough.\u200b", 20, 500).startswith("A sentence")


@pytest.mark.parametrize(("raw", "name"), [
    ("\x1b[31mAnn\x07 Lee\x1b[0m", "[31mAnn Lee[0m"),  # terminal escapes and the bell leave no control character
    ("Ann\r\nLee\n\n\tSmith", "Ann Lee Smith"),  # line breaks and tabs become single spaces
    ("Ann\x0bLee\x0cSmith\x85Jr\u2028III", "Ann Lee Smith Jr III"),  # so do the other line and page breaks
    ("\u202eeeL nnA\u202c", "eeL nnA"),  # a right-to-left override would show it reversed
    ("\u2066Ann\u2069 \u2067Lee\u2069 \u2068Smith\u2069 \u202aJr\u202c \u202bIII\u202c \u202dIV\u202c",
     "Ann Lee Smith Jr III IV"),  # isolates and embeddings too
    ("  Mama \U0001f469\u200d\U0001f467  Ama\u200e ", "Mama \U0001f469\u200d\U0001f467 Ama\u200e"),  # joiners, marks kept
    ("Ann\u00a0Lee", "Ann Lee"),
])
def test_a_one_line_name_is_one_line_of_visible_text(raw: str, name: str) -> None:
    assert one_line(raw) == name


@pytest.mark.parametrize("raw", [None, "", " \n\t ", "\x1b\x07\x00", "\u202e\u2066\u2069\u202c", "\x1b\r\n\u202e\u200b"])
def test_a_name_of_nothing_but_control_and_direction_characters_is_empty(raw: str | None) -> None:
    assert one_line(raw) == ""
