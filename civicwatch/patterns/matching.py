"""Finding a register's subjects in a complaint: its aliases matched word for word, ignoring case and
punctuation, a long word (five letters or more) also when one letter off, as the gazetteer does."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from civicwatch.classify.gazetteer import FUZZY_MIN_LENGTH, edit_distance_at_most_one

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def alias_words(alias: str) -> str:
    """How an alias is stored for matching: its words, lower case, one space apart."""
    return " ".join(words(alias))


def _same_word(found: str, wanted: str) -> bool:
    if found == wanted:
        return True
    return (len(wanted) >= FUZZY_MIN_LENGTH and found[:1] == wanted[:1]
            and edit_distance_at_most_one(found, wanted))


@dataclass(frozen=True)
class Mention:
    subject_id: int
    alias: str  # the alias as the register spells it
    start: int  # index of the first word in the text


class AliasIndex:
    """Aliases by first word, so a text is read once whatever the size of the register."""

    def __init__(self, aliases: Iterable[tuple[int, str, str]]) -> None:
        """`aliases`: (subject id, alias, alias words)."""
        self._by_first: dict[str, list[tuple[list[str], int, str]]] = {}
        self._long_firsts: list[str] = []
        for subject_id, alias, stored in aliases:
            parts = stored.split()
            if parts:
                self._by_first.setdefault(parts[0], []).append((parts, subject_id, alias))
        self._long_firsts = [w for w in self._by_first if len(w) >= FUZZY_MIN_LENGTH]

    def _candidates(self, word: str) -> list[tuple[list[str], int, str]]:
        found = list(self._by_first.get(word, ()))
        if len(word) >= FUZZY_MIN_LENGTH - 1:
            for first in self._long_firsts:
                if first != word and _same_word(word, first):
                    found += self._by_first[first]
        return found

    def mentions(self, text: str) -> list[Mention]:
        """Every alias found in the text, the longest first where two start at the same word."""
        tokens = words(text)
        found: list[Mention] = []
        for index, token in enumerate(tokens):
            for parts, subject_id, alias in sorted(self._candidates(token), key=lambda c: -len(c[0])):
                window = tokens[index:index + len(parts)]
                if len(window) == len(parts) and all(_same_word(f, w) for f, w in zip(window, parts, strict=True)):
                    found.append(Mention(subject_id, alias, index))
        return found
