"""Public references (CW-2026-000123) and secret receipt codes."""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from civicwatch.crypto import keyed_hash

RECEIPT_DIGITS = 16
_NON_DIGITS = re.compile(r"\D")
# 16 digits however spaced, dotted or dashed, not inside a longer run of digits: a receipt code written in prose.
_CODE_SHAPED = re.compile(r"(?<!\d)\d(?:[\s.-]{0,2}\d){15}(?!\d)")


def new_receipt_code() -> str:
    """16 digits from the OS CSPRNG, grouped in fours for reading aloud and typing on a keypad."""
    digits = "".join(secrets.choice("0123456789") for _ in range(RECEIPT_DIGITS))
    return " ".join(digits[i : i + 4] for i in range(0, RECEIPT_DIGITS, 4))


def normalise_receipt_code(text: str) -> str | None:
    digits = _NON_DIGITS.sub("", text or "")
    return digits if len(digits) == RECEIPT_DIGITS else None


def receipt_hash(code: str) -> str:
    """What is stored instead of the code. Keyed, so a stolen database alone cannot be brute-forced."""
    digits = normalise_receipt_code(code)
    if digits is None:
        raise ValueError("a receipt code has 16 digits")
    return keyed_hash("receipt", digits)


def code_shaped_numbers(text: str) -> dict[str, str]:
    """Each number of the text shaped like a receipt code, with the hash a case with that code would store."""
    return {match.group(): receipt_hash(match.group()) for match in _CODE_SHAPED.finditer(text)}


def replace_code_shaped(text: str, replace: Callable[[str], str]) -> str:
    return _CODE_SHAPED.sub(lambda match: replace(match.group()), text)


def format_reference(year: int, number: int) -> str:
    return f"CW-{year}-{number:06d}"


def temporary_reference() -> str:
    """Unique placeholder until the row has an id; replaced in the same transaction."""
    return f"pending-{secrets.token_hex(8)}"
