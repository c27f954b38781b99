"""A name as a reader still knows it: spelled out letter by letter ("F a t m a t a", "F.A.T.M.A.T.A.", "C-o-n-t-e-h"),
or misspelt by a letter or as it sounds ("Fatmatta", "Fatimata", "Kontteh"). For comparing a text with the
complainant's own name only: many ordinary words are a letter away from some name, which is harmless when they are
compared with one person's name, two parts side by side, and wrong anywhere else.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Three or more letters each standing alone, up to three marks or spaces between them (not a line break).
SPELLED_OUT = re.compile(r"(?<![^\W_])[^\W\d_](?:[^\w\n]{1,3}[^\W\d_](?![^\W_])){2,}")
_LETTER = re.compile(r"[^\W\d_]")
# Spellings that sound the same: "c", "k", "q" and "ck" as "k", "ph" as "f", a doubled letter as one.
_SOUNDS = ((re.compile(r"ck|[cq]"), "k"), (re.compile(r"ph"), "f"), (re.compile(r"(.)\1+"), r"\1"))
# Below this many letters a part must sound the same; from it, one letter more, less or changed still reads as it.
CLOSE_FROM = 5


@dataclass(frozen=True)
class SpelledOut:
    """Where a word spelled out letter by letter stands in the text, and the word."""

    start: int
    end: int
    word: str


def spelled_out(text: str) -> Iterator[SpelledOut]:
    """Each word of `text` spelled out letter by letter, with the word its letters make."""
    for run in SPELLED_OUT.finditer(text):
        yield SpelledOut(run.start(), run.end(), "".join(_LETTER.findall(run.group())))


def joined_letters(text: str) -> str:
    """`text` with each word spelled out letter by letter written as one word."""
    return SPELLED_OUT.sub(lambda run: "".join(_LETTER.findall(run.group())), text)


def sound(word: str) -> str:
    """The word as it sounds, near enough: lower case, "c", "k", "q" alike, "ph" as "f", no doubled letter."""
    folded = word.lower()
    for pattern, replacement in _SOUNDS:
        folded = pattern.sub(replacement, folded)
    return folded


def reads_as(word: str, part: str) -> bool:
    """Whether a reader takes `word` for the name part `part` (both as `sound` gives them)."""
    if word == part:
        return True
    return len(part) >= CLOSE_FROM and abs(len(word) - len(part)) <= 1 and _one_edit_apart(word, part)


def _one_edit_apart(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    # Past the first difference, the rest is equal once one letter is changed (same length) or left out of b.
    return a[i + 1:] == b[i + 1:] if len(a) == len(b) else a[i:] == b[i + 1:]
