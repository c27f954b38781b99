"""Numbers written in words, as people write a phone number out to get past a filter or as they dictate it: "zero
seven six five five five one two three", "oh seven six double five five", "seventy-six", digits and words mixed, in
English, French ("zéro sept soixante-seize") and Krio ("ziro sevin siks"). For comparing a text with the complainant's
own number only: many of these words are ordinary words too ("one", "et", "fo"), which is harmless when the digits
read from them are compared with one person's number, and wrong anywhere else.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

DIGIT_WORDS = {
    # English
    "zero": 0, "oh": 0, "o": 0, "nought": 0, "naught": 0, "nil": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    # French
    "zéro": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9,
    # Krio
    "ziro": 0, "wan": 1, "tu": 2, "tri": 3, "fo": 4, "fayv": 5, "faiv": 5, "siks": 6, "sevin": 7, "sevn": 7,
    "et": 8, "eit": 8, "nayn": 9, "nain": 9,
}
TEEN_WORDS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
}
TENS_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
    "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "septante": 70, "huitante": 80,
    "octante": 80, "nonante": 90,
}
REPEAT_WORDS = {"double": 2, "triple": 3}
HUNDRED = -100  # "hundred", "cent": a word of its own, not a digit
HUNDRED_WORDS = {"hundred": HUNDRED, "cent": HUNDRED}
VALUES = {**DIGIT_WORDS, **TEEN_WORDS, **TENS_WORDS, **HUNDRED_WORDS, "vingts": 20}
_WORD = re.compile(r"[^\W_]+")
_GAP = re.compile(r"[\W_]{1,3}")  # between two words of a run: up to three marks or spaces (as `redaction.DIGIT_RUN`)


@dataclass(frozen=True)
class SpokenRun:
    """Where a run of number words (and digits) stands in the text, and the digits a reader writes down from it."""

    start: int
    end: int
    digits: str


def spoken_runs(text: str) -> Iterator[SpokenRun]:
    """Each run of two or more number words and digits in `text`, with the digits it reads as."""
    run: list[tuple[int, int, int | str]] = []
    for word in _WORD.finditer(text):
        value = _value(word.group())
        if value is not None and run and _GAP.fullmatch(text, run[-1][1], word.start()):
            if run[-1][2] == 4 and value == 20 and word.group().lower().startswith("vingt"):
                run[-1] = (run[-1][0], word.end(), 80)  # quatre-vingt(s): one number
            else:
                run.append((word.start(), word.end(), value))
            continue
        if len(run) >= 2:
            yield SpokenRun(run[0][0], run[-1][1], _digits([value for _, _, value in run]))
        run = [(word.start(), word.end(), value)] if value is not None else []
    if len(run) >= 2:
        yield SpokenRun(run[0][0], run[-1][1], _digits([value for _, _, value in run]))


def _digits(values: list[int | str]) -> str:
    out: list[str] = []
    repeat, i = 1, 0
    while i < len(values):
        value = values[i]
        if value in REPEAT_WORDS:  # "double five": the next number twice
            repeat = REPEAT_WORDS[str(value)]
            i += 1
            continue
        if isinstance(value, str):  # digits as written
            written, i = value, i + 1
        else:
            number, i = _number_at(values, i + 1, value)
            written = str(number)
        out.append(written * repeat)
        repeat = 1
    return "".join(out)


def _number_at(values: list[int | str], i: int, number: int) -> tuple[int, int]:
    """The number that `number`, the word before `values[i]`, makes with the words after it ("five hundred
    fifty-five", "cent vingt-trois", "seventy-six", "soixante-seize"), and the index after them."""
    if number == HUNDRED or (0 < number < 10 and _at(values, i) == HUNDRED):
        number, i = (100, i) if number == HUNDRED else (number * 100, i + 1)
        following = _at(values, i)
        rest, after = _number_at(values, i + 1, following) if isinstance(following, int) else (0, i)
        return (number + rest, after) if 0 < rest < 100 else (number, i)
    # seventy-six, soixante-seize, soixante-dix-sept, quatre-vingt-dix-neuf
    while number >= 20 and number % 10 == 0 and isinstance(following := _at(values, i), int) and 0 < following < 20:
        number, i = number + following, i + 1
    return number, i


def _at(values: list[int | str], i: int) -> int | str | None:
    return values[i] if i < len(values) else None


def _value(word: str) -> int | str | None:
    """The number a word stands for; a run of digits as its ASCII digits; "double" or "triple" as itself; None for
    any other word."""
    lowered = word.lower()
    if lowered.isdigit():
        return "".join(str(int(ch)) for ch in lowered)
    if lowered in REPEAT_WORDS:
        return lowered
    return VALUES.get(lowered)
