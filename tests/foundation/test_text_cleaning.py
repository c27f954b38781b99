"""What every form's text goes through: format characters (zero-width spaces and joiners, direction marks) stay
inside words, where scripts and emoji need them, but a text of nothing else is empty and they add no length."""
from __future__ import annotations

import pytest

from civicwatch.errors import DomainError
from civicwatch.text import check_reason, tidy_text, visible_length


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
