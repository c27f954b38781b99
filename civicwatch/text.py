"""Cleaning what people type, for every domain: one kind of line end, no control characters, trimmed; and the
length check staff forms share."""
from __future__ import annotations

import unicodedata

from civicwatch.errors import DomainError

# Control characters and lone surrogates (PostgreSQL refuses NUL); format characters such as zero-width
# joiners are kept for scripts and emoji.
CONTROL = frozenset({"Cc", "Cs"})
# Also private-use and unassigned code points: for text read as keywords, such as an SMS.
CONTROL_AND_UNASSIGNED = CONTROL | {"Co", "Cn"}


def tidy_text(raw: str | None, drop: frozenset[str] = CONTROL) -> str:
    """One kind of line end, no characters of the `drop` categories (tabs and line ends stay), stripped."""
    text = (raw or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in drop).strip()


def check_text(raw: str | None, what: str, maximum: int, required: bool = True) -> str:
    """`tidy_text`, refused with a DomainError naming `what` when it is empty (if required) or too long."""
    value = tidy_text(raw)
    if required and not value:
        raise DomainError(f"Write the {what} first.")
    if len(value) > maximum:
        raise DomainError(f"The {what} is too long: at most {maximum:,} characters.")
    return value


def check_reason(raw: str | None, minimum: int, maximum: int) -> str:
    """A reason staff give for a decision: `check_text`, and at least `minimum` characters (a sentence, not
    "needed")."""
    reason = check_text(raw, "reason", maximum)
    if len(reason) < minimum:
        raise DomainError(f"Give the reason in a sentence or more (at least {minimum} characters).")
    return reason
