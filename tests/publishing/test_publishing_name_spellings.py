"""Reading a name as a reader still knows it: spelled out letter by letter, or misspelt by a letter or as it sounds."""
from __future__ import annotations

import pytest

from civicwatch.publishing.name_spellings import joined_letters, reads_as, sound, spelled_out


@pytest.mark.parametrize(("word", "part", "expected"), [
    ("Fatmatta", "Fatmata", True),
    ("Fatimata", "Fatmata", True),
    ("Kontteh", "Conteh", True),
    ("Phatmata", "Fatmata", True),
    ("Fatmat", "Fatmata", True),
    ("Contehs", "Conteh", True),
    ("Abu", "Abi", False),  # short parts must sound the same
    ("Fatma", "Fatmata", False),
    ("Sesay", "Conteh", False),
])
def test_a_word_reads_as_a_name_part_within_one_letter(word, part, expected):
    assert reads_as(sound(word), sound(part)) is expected


def test_a_word_spelled_out_is_found_where_it_stands():
    text = "We met F.A.T.M.A.T.A. and C - o - n - t - e - h, not a U N team."
    assert [(text[run.start:run.end], run.word) for run in spelled_out(text)] == [
        ("F.A.T.M.A.T.A", "FATMATA"), ("C - o - n - t - e - h", "Conteh"), ("a U N", "aUN")]
    assert joined_letters("f a t m a t a conteh") == "fatmata conteh"
