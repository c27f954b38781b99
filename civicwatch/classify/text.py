"""Cleaning complaint text before the pipeline reads it. The same function runs in training and classifying."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy

# Complaints are capped at 20,000 characters on intake; longer input (a pasted file, a backlog
# export) is cut here so one line cannot hold a worker for long.
MAX_CHARS = 20_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]+")
_REPEATS = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"[ \t\u00a0]+")
_TRIPLES_BATCH = 256  # texts compared at once (a batch of the longest texts: about 40 MB of code points)


def prepare_text(text: object) -> str:
    """Normalised text: NFKC, no control characters, letters repeated at most twice ("pleeeease").

    Anything that is not a string (None, bytes from a broken client) is read as text or as empty.
    """
    return _finished(_REPEATS.sub(r"\1\1", _cleaned(text)))


def prepare_texts(texts: Sequence[object]) -> list[str]:
    """prepare_text of each text. The search for repeated letters, a tenth of the classifier's time per text,
    runs only on the texts holding some character three times in a row (all it can change), found with one
    comparison of neighbouring characters for each batch of texts."""
    cleaned = [_cleaned(text) for text in texts]
    repeats: set[int] = set()
    for start in range(0, len(cleaned), _TRIPLES_BATCH):
        repeats.update(start + i for i in _with_triples(cleaned[start:start + _TRIPLES_BATCH]))
    return [_finished(_REPEATS.sub(r"\1\1", text) if i in repeats else text) for i, text in enumerate(cleaned)]


def _cleaned(text: object) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return ""
    return _CONTROL.sub(" ", unicodedata.normalize("NFKC", text[: MAX_CHARS * 2]))


def _finished(text: str) -> str:
    return _single_spaces(text)[:MAX_CHARS].strip()


def _with_triples(texts: list[str]) -> set[int]:
    """The positions of the texts (without control characters) that hold a character three times in a row. The
    texts are joined by a control character, which none of them holds: a run across texts (only empty texts make
    one) costs a needless search, never a missed one."""
    codes = numpy.frombuffer("\x00".join(texts).encode("utf-32-le"), dtype="uint32")
    same = codes[1:] == codes[:-1]
    starts = numpy.flatnonzero(same[1:] & same[:-1])
    if not len(starts):
        return set()
    ends = numpy.cumsum([len(text) + 1 for text in texts])
    return set(numpy.searchsorted(ends, starts, side="right").tolist())


def _single_spaces(text: str) -> str:
    """Runs of spaces, tabs and no-break spaces as one space. Most texts have none but single spaces, which the
    substitution would replace one by one with themselves (a tenth of the classifier's time per text)."""
    if "  " in text or "\t" in text or "\u00a0" in text:
        return _SPACES.sub(" ", text)
    return text


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit: emoji and punctuation alone say nothing."""
    return any(ch.isalnum() for ch in text)


def split_key(text: str) -> str:
    """The form of a text that decides its place in the held-out split: case and spacing do not count."""
    return " ".join(prepare_text(text).lower().split())
