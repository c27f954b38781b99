"""Cues compiled as a tree of their leading characters match exactly the strings their plain alternation does."""
from __future__ import annotations

import itertools
import re

import pytest

from civicwatch.classify.cue_pattern import cue_tree

CUE_LISTS = {
    "shared letters": ["now", "no", "not", "naw", "nor a", "on"],
    "leading groups": ["(?:is|are|a) (?:b|ab)", "(?:a|ab)?b", "(?:a|b)+a", "(?:ab)*"],
    "sets and escapes": ["a[]|]b", "a[^]|a]", r"\|a", r"a\w?", "a.b", "a{2}", "ab{1,2}"],
    "alternatives at the top": ["a|ab", "b(?:a|b)|a", "ba"],
    "anchors": ["ab$", "a[.!]?$", "b"],
}
ALPHABET = "ab |]."


@pytest.mark.parametrize("name", sorted(CUE_LISTS))
def test_the_tree_matches_what_the_alternation_matches(name: str) -> None:
    cues = CUE_LISTS[name]
    plain, tree = re.compile("(?:" + "|".join(cues) + ")"), re.compile("(?:" + cue_tree(cues) + ")")
    for length in range(6):
        for letters in itertools.product(ALPHABET, repeat=length):
            text = "".join(letters)
            assert (plain.fullmatch(text) is None) == (tree.fullmatch(text) is None), text
            assert (plain.search(text) is None) == (tree.search(text) is None), text


def test_cues_that_share_letters_read_them_once() -> None:
    assert cue_tree(["now", "no", "(?:is|are) held"]) == "n(?:o(?:w|))|is held|are held"
