"""Reading digits out of numbers written in words: what a reader writes down from them."""
from __future__ import annotations

import pytest

from civicwatch.publishing.spoken_digits import spoken_runs


@pytest.mark.parametrize(("text", "digits"), [
    ("zero seven six five five five one two three", ["076555123"]),
    ("Oh Seven Six, double five five, 1 2 3", ["076555123"]),
    ("zero seventy-six, five hundred fifty-five, one hundred twenty-three", ["076555123"]),
    ("z\u00e9ro soixante-seize, cinq cinquante-cinq, cent vingt-trois", ["076555123"]),
    ("quatre-vingt-dix-neuf soixante-dix-sept", ["9977"]),
    ("ziro sevin siks, triple fayv, wan tu tri", ["076555123"]),
    ("two officers came at seven and one left", []),
    ("at seven, one left", ["71"]),
    ("someone phoned; nine is not a run", []),
])
def test_number_words_read_as_the_digits_a_reader_writes_down(text, digits):
    assert [run.digits for run in spoken_runs(text)] == digits


def test_a_run_is_found_where_it_stands():
    text = "Call zero seven six today."
    (run,) = spoken_runs(text)
    assert text[run.start:run.end] == "zero seven six"
