"""Cleaning what people type, for every domain: one kind of line end, no control characters, trimmed; and the
length check staff forms share.

Each field's refusals are whole sentences (`Field`), translated as they are raised: a sentence built from
pieces ("Write the {what} first.") cannot be translated, as French agrees the words around the field's name."""
from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from flask_babel import format_number, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from civicwatch.errors import DomainError

# Control characters and lone surrogates (PostgreSQL refuses NUL); format characters such as zero-width
# joiners are kept for scripts and emoji.
CONTROL = frozenset({"Cc", "Cs"})
# Also private-use and unassigned code points: for text read as keywords, such as an SMS.
CONTROL_AND_UNASSIGNED = CONTROL | {"Co", "Cn"}
FORMAT = "Cf"
# The bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they can show a name
# reversed, and a name on one line needs none of them. Direction marks stay (they only nudge a neutral character).
_DIRECTION_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


@dataclass(frozen=True)
class Field:
    """What staff are told about one text field: `missing` when it is required and empty, `too_long` (with a
    %(maximum)s placeholder) when it is longer than allowed. Both are lazy strings, read in the language of the
    request that raises them."""
    missing: LazyString | str
    too_long: LazyString | str


REASON = Field(_l("Write the reason first."), _l("The reason is too long: at most %(maximum)s characters."))
NOTE = Field(_l("Write the note first."), _l("The note is too long: at most %(maximum)s characters."))


def tidy_text(raw: str | None, drop: frozenset[str] = CONTROL) -> str:
    """One kind of line end, no characters of the `drop` categories (tabs and line ends stay), stripped; empty
    when only spaces and format characters are left (a "reason" of zero-width spaces says nothing)."""
    text = (raw or "").replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii():  # most texts: one translate instead of a look-up per character
        return text.translate(_ascii_dropped(drop)).strip()
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in drop).strip()
    return text if any(not ch.isspace() and unicodedata.category(ch) != FORMAT for ch in text) else ""


def one_line(raw: str | None) -> str:
    """A name (of a staff member, a holiday, an API key's client): `tidy_text` on one line, every line break,
    tab and run of spaces one space, without the direction controls; empty when nothing visible is left."""
    # Split first: vertical tabs, form feeds and NEL separate words, but tidy_text would drop them as controls.
    text = " ".join((raw or "").translate(_DIRECTION_CONTROLS).split())
    return " ".join(tidy_text(text).split())


def visible_length(text: str) -> int:
    """The length of `text` without its format characters (zero-width spaces and joiners, direction marks), which
    show nothing: what a minimum length counts."""
    if text.isascii():
        return len(text)
    return sum(1 for ch in text if unicodedata.category(ch) != FORMAT)


@functools.cache
def _ascii_dropped(drop: frozenset[str]) -> dict[int, None]:
    """The translate table that deletes the ASCII characters of the `drop` categories, tabs and line ends kept."""
    return {code: None for code in range(128)
            if chr(code) not in "\n\t" and unicodedata.category(chr(code)) in drop}


def check_text(raw: str | None, field: Field, maximum: int, required: bool = True) -> str:
    """`tidy_text`, refused with the DomainError of `field` when it is empty (if required) or too long."""
    value = tidy_text(raw)
    if required and not value:
        raise DomainError(str(field.missing))
    if len(value) > maximum:
        raise DomainError(str(field.too_long) % {"maximum": format_number(maximum)})
    return value


def check_reason(raw: str | None, minimum: int, maximum: int) -> str:
    """A reason staff give for a decision: `check_text`, and at least `minimum` characters (a sentence, not
    "needed")."""
    reason = check_text(raw, REASON, maximum)
    if visible_length(reason) < minimum:
        raise DomainError(gettext("Give the reason in a sentence or more (at least %(minimum)s characters).",
                                  minimum=minimum))
    return reason
