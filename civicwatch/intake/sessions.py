"""What intake keeps in the browser's session: nothing a person could read off a shared phone.

Both values are encrypted (the session cookie is only signed) and short-lived:
- the reference and receipt code, from the report's POST until the confirmation page shows them once;
- after a correct receipt code, the id of the case being followed up, expiring after inactivity, and in any case
  TRACK_SESSION_MAX_MINUTES after the code was entered (a copy of the cookie kept busy would otherwise never end).
"""
from __future__ import annotations

import json
from collections.abc import Sequence

from flask import current_app, session

from civicwatch.cases.models import Case
from civicwatch.crypto import DecryptionError, decrypt_text, encrypt_text
from civicwatch.database import utcnow
from civicwatch.extensions import db

RECEIPT_KEY = "intake_receipt"
TRACK_KEY = "intake_track"
RECEIPT_SHOW_WITHIN_SECONDS = 600
# Browsers drop a cookie over 4 KB, and the receipt with it. Five file names of up to 200 characters in any script
# would not fit: on the receipt each name keeps its start and its end (the fingerprint is what proves the file).
RECEIPT_NAME_HEAD, RECEIPT_NAME_TAIL = 40, 20


def _seal(value: dict) -> str:
    # Not ASCII-escaped: a character outside ASCII costs its UTF-8 bytes, not six or twelve.
    return encrypt_text(json.dumps(value, ensure_ascii=False)).decode("ascii")


def _unseal(token: object) -> dict | None:
    if not isinstance(token, str):
        return None
    try:
        value = json.loads(decrypt_text(token.encode("ascii")))
    except (DecryptionError, ValueError, UnicodeError):
        return None
    return value if isinstance(value, dict) else None


def remember_receipt(reference: str, code: str, urgent: bool = False,
                     files: Sequence[Sequence[str]] = (), not_added: Sequence[str] = ()) -> None:
    """`not_added`: files chosen when the form was sent again, which the stored report does not hold."""
    session[RECEIPT_KEY] = _seal({"reference": reference, "code": code, "urgent": urgent,
                                  "files": [[_shortened(name), sha] for name, sha in files],
                                  "not_added": [_shortened(name) for name in not_added],
                                  "at": utcnow().timestamp()})


def _shortened(name: str) -> str:
    if len(name) <= RECEIPT_NAME_HEAD + RECEIPT_NAME_TAIL:
        return name
    return f"{name[:RECEIPT_NAME_HEAD]}…{name[-RECEIPT_NAME_TAIL:]}"


def take_receipt() -> dict | None:
    """The reference and code, removed from the session as they are read: a reload shows nothing."""
    value = _unseal(session.pop(RECEIPT_KEY, None))
    if value is None or utcnow().timestamp() - float(value.get("at", 0)) > RECEIPT_SHOW_WITHIN_SECONDS:
        return None
    return {"reference": str(value.get("reference", "")), "code": str(value.get("code", "")),
            "urgent": value.get("urgent") is True, "files": _fingerprints(value.get("files")),
            "not_added": [str(name) for name in value.get("not_added") or () if isinstance(name, str)]}


def _fingerprints(value: object) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return []
    return [(str(item[0]), str(item[1])) for item in value if isinstance(item, list) and len(item) == 2]


def open_tracking(case: Case) -> None:
    session.pop(RECEIPT_KEY, None)
    _stamp(case, opened=utcnow().timestamp())


def _stamp(case: Case, opened: float) -> None:
    """`opened`: when the receipt code was entered, kept as the expiry moves on with each request."""
    minutes = current_app.config["TRACK_SESSION_MINUTES"]
    session[TRACK_KEY] = _seal({"case": case.id, "generation": case.tracking_generation or 0,
                                "until": utcnow().timestamp() + minutes * 60, "opened": opened})


def _expired(value: dict) -> bool:
    """Unused too long, or opened too long ago however busy (a value that never recorded its opening too)."""
    now = utcnow().timestamp()
    opened = value.get("opened")
    if not isinstance(opened, int | float):
        return True
    return float(value.get("until", 0)) < now or now - opened > current_app.config["TRACK_SESSION_MAX_MINUTES"] * 60


def has_tracking() -> bool:
    """Whether this browser opened a case (perhaps expired since): to explain why it has to start again."""
    return TRACK_KEY in session


def tracked_case() -> Case | None:
    """The case opened with a receipt code in this browser, if that was recent; renews the expiry (never past
    TRACK_SESSION_MAX_MINUTES after the code was entered)."""
    value = _unseal(session.get(TRACK_KEY))
    if value is None or _expired(value):
        close_tracking()
        return None
    case = db.session.get(Case, value.get("case")) if isinstance(value.get("case"), int) else None
    if case is None or value.get("generation") != (case.tracking_generation or 0):
        close_tracking()  # gone, or closed on some device since: a copied cookie opens nothing
        return None
    _stamp(case, opened=value["opened"])
    return case


def close_tracking() -> None:
    session.pop(TRACK_KEY, None)


def revoke_tracking() -> None:
    """Leaving: this browser forgets the case, and every session opened with the receipt code stops working.
    The caller commits."""
    value = _unseal(session.get(TRACK_KEY))
    case = db.session.get(Case, value.get("case")) if value and isinstance(value.get("case"), int) else None
    if case is not None and value is not None and value.get("generation") == (case.tracking_generation or 0):
        case.tracking_generation = (case.tracking_generation or 0) + 1
    close_tracking()


ASSISTED_RECEIPT_KEY = "assisted_receipt"


def remember_assisted_receipt(reference: str, code: str, language: str, user_id: int) -> None:
    """The receipt of a complaint entered for someone, until the assistant's slip page shows it once."""
    session[ASSISTED_RECEIPT_KEY] = _seal({"reference": reference, "code": code, "language": language,
                                           "user": user_id, "at": utcnow().timestamp()})


def take_assisted_receipt(user_id: int) -> dict | None:
    """The slip's content, removed as it is read; only for the user who entered the complaint (someone else
    signing in on the same browser gets nothing), and only soon after."""
    value = _unseal(session.pop(ASSISTED_RECEIPT_KEY, None))
    if value is None or value.get("user") != user_id \
            or utcnow().timestamp() - float(value.get("at", 0)) > RECEIPT_SHOW_WITHIN_SECONDS:
        return None
    return {"reference": str(value.get("reference", "")), "code": str(value.get("code", "")),
            "language": str(value.get("language", ""))}
