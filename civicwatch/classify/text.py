"""Cleaning complaint text before the pipeline reads it. The same function runs in training and classifying."""
from __future__ import annotations

import re
import unicodedata

# Complaints are capped at 20,000 characters on intake; longer input (a pasted file, a backlog
# export) is cut here so one line cannot hold a worker for long.
MAX_CHARS = 20_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]+")
_REPEATS = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"[ \t\u00a0]+")


def prepare_text(text: object) -> str:
    """Normalised text: NFKC, no control characters, letters repeated at most twice ("pleeeease").

    Anything that is not a string (None, bytes from a broken client) is read as text or as empty.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2])
    text = _CONTROL.sub(" ", text)
    text = _REPEATS.sub(r"\1\1", text)
    return _single_spaces(text)[:MAX_CHARS].strip()


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
