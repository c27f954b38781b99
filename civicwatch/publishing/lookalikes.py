"""Characters that read as others: the letters of other scripts that look like Latin ones (Cyrillic "а", "о", "р"),
and the letters written for digits ("O76 555 l23", "D76 555 L23"). For comparing a text with the complainant's
known details only: folded this way, ordinary words turn into other words or numbers, which is harmless when the
result is compared with one person's phone number or email address, and wrong anywhere else.

The lists are a small part of Unicode's confusables (UTS #39), the part a keyboard or a phone offers.
"""
from __future__ import annotations

import re
import unicodedata

# Cyrillic and Greek letters drawn as Latin ones (capital and small), and the Latin dotless i.
LATIN_LOOKALIKES = str.maketrans({
    **dict(zip("АВЕЅІЈКМНОРСТХУԁԛԜаеѕіјкоԝрсухүӏӀ",
               "ABESIJKMHOPCTXYdqWaesijkowpcyxylI", strict=True)),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧοντιρκ", "ABEZHIKMNOPTYXovtipk", strict=True)),
    "ı": "i",
})
# Letters written for digits; a word is read as a number only if all of it is digits, these and a number's marks.
DIGIT_LOOKALIKES = str.maketrans({
    "O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "i": "1", "L": "1", "|": "1", "Z": "2", "z": "2", "E": "3",
    "A": "4", "S": "5", "s": "5", "G": "6", "b": "6", "T": "7", "B": "8", "g": "9", "q": "9",
})
_WORD = re.compile(r"[^\s,;:!?\"'“”‘’]+")
# Digits, the look-alikes, and a number's marks: +, brackets, dot, slash, the hyphen and the dashes put in its place.
_NUMBER_WORD = re.compile(
    r"[\d" + re.escape("".join(sorted(chr(c) for c in DIGIT_LOOKALIKES))) + r"+().\-/\u2010-\u2015\u2212]+")


def as_latin(text: str) -> str:
    """`text` with each character as NFKC writes it (full-width "ｆ" as "f") and each Latin look-alike as the Latin
    letter, one character for one, so that a position in the result is the same in `text`."""
    return "".join(_one_character(ch) for ch in text).translate(LATIN_LOOKALIKES)


def _one_character(ch: str) -> str:
    if ch.isascii():
        return ch
    normal = unicodedata.normalize("NFKC", ch)
    return normal if len(normal) == 1 else ch


def as_digits(text: str) -> str:
    """`text` (as `as_latin` gives it) with every word made of digits, look-alike letters and a number's marks
    written in digits: "O76 555 l23" reads 076 555 123, while "Officer" and "report" stay as they are."""
    return _WORD.sub(lambda word: word.group().translate(DIGIT_LOOKALIKES)
                     if _NUMBER_WORD.fullmatch(word.group()) else word.group(), text)
