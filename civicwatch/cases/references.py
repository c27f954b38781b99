"""Public references (CW-2026-483071; CW-2026-000123 for a case numbered from its id before the permutation) and
secret receipt codes."""
from __future__ import annotations

import hashlib
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
    digits = f"{secrets.randbelow(10 ** RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"  # one draw: each digit string as likely
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
    """Numbers below 100000 are padded to six digits: the references made from row ids before the permutation."""
    return f"CW-{year}-{number:06d}"


# References made from a keyed permutation of the row id: a reference says nothing of how many cases came before
# it or between two of them, nor which of two came first. Numbers of `shortest` digits (no leading zero) are
# dealt first; ids beyond them get one digit more, and so on, so no id is ever without a number.
SHORTEST_DIGITS = 6
FEISTEL_ROUNDS = 10
KEY_BYTES = 32


def shortest_digits_above(largest_id: int) -> int:
    """The width of the first numbers dealt when the largest case id so far is `largest_id`: every number of it
    exceeds every id, so that no new reference can be one an older case was given from its id."""
    return max(SHORTEST_DIGITS, len(str(max(largest_id, 0))) + 1)


def permuted_number(key: bytes, shortest: int, case_id: int) -> int:
    """The reference number of the case with row id `case_id` (1 and up): a bijection from ids to numbers of
    `shortest` digits or more, never starting with 0."""
    if case_id < 1:
        raise ValueError("case ids start at 1")
    width, index = shortest, case_id - 1
    while index >= _numbers_of(width):
        index -= _numbers_of(width)
        width += 1
    return 10 ** (width - 1) + _walk(key, width, index)


def _numbers_of(width: int) -> int:
    return 9 * 10 ** (width - 1)


def _walk(key: bytes, width: int, index: int) -> int:
    # Cycle walking: the Feistel network permutes all numbers of `width` digits (10^width); applied again to any
    # result past the 9 x 10^(width - 1) wanted, it comes back into them (on average 1.1 times), and stays a
    # permutation of them.
    value = _feistel(key, width, index)
    while value >= _numbers_of(width):
        value = _feistel(key, width, value)
    return value


def _feistel(key: bytes, width: int, value: int) -> int:
    """A permutation of 0 .. 10^width - 1 (Black and Rogaway's FE2 on Z_a x Z_b, a = 10^(width // 2))."""
    a, b = 10 ** (width // 2), 10 ** (width - width // 2)
    left, right = value % a, value // a
    for step in range(FEISTEL_ROUNDS):
        modulus = a if step % 2 == 0 else b
        left, right = right, (left + _round(key, width, step, right)) % modulus
    return a * right + left  # an even number of rounds: left in Z_a, right in Z_b


def _round(key: bytes, width: int, step: int, half: int) -> int:
    # Keyed BLAKE2b is a PRF (a MAC without HMAC's construction), several times faster than HMAC-SHA256 here.
    return int.from_bytes(hashlib.blake2b(f"{width}:{step}:{half}".encode(), key=key, digest_size=8).digest(), "big")


def temporary_reference() -> str:
    """Unique placeholder until the row has an id; replaced in the same transaction."""
    return f"pending-{secrets.token_hex(8)}"
