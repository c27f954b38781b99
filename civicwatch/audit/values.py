"""What an audit entry may keep of a changed value.

The audit log can never be edited, so it must never hold what may later have to be erased: a complainant's
words, a witness's name, a phone number. Codes, numbers, dates and states are kept as they are; any other
text is kept as a fingerprint (its length and a keyed digest), which still shows whether and when it changed.
"""
from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Any

from civicwatch.crypto import keyed_hash

# Fields that hold free text by design: fingerprinted even when a value happens to look like a code. Every
# free-text column of the schema is named here (tests/audit/test_audit_values.py checks it).
FREE_TEXT_FIELDS = frozenset({
    "text", "note", "reason", "status_reason", "findings", "summary", "response", "draft_public_response",
    "name", "email", "phone", "address", "witness", "location", "location_text", "description", "title",
    "legal_bar", "recipient", "victim", "remedy", "deadline_extension_reason", "review_note", "withdraw_reason",
    "lift_reason", "decision_note", "original_name", "summary_source", "response_source", "consent_wording",
    "alias", "words", "matched", "covers", "not_this", "last_error",
    "prefix",  # the first characters of an API key: random, so sometimes shaped like a code
})
_CODE = re.compile(r"[a-z][a-z0-9_.:\-]{0,63}")
_REFERENCE = re.compile(r"[A-Z]{2,5}-\d{4}-\d{4,8}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?")
# A classifier model's version (its training time and data hash, classify.registry.new_version): which model was
# trained or made active must be readable in the log.
_MODEL_VERSION = re.compile(r"\d{8}-\d{6}-[0-9a-f]{8}(-\d{1,4})?")


def fingerprint(text: str) -> dict[str, Any]:
    """Length and a keyed digest: equal texts give equal fingerprints, and the text cannot be read back."""
    return {"length": len(text), "digest": keyed_hash("audit-values", text)[:16]}


def recordable(value: Any, field: str | None = None) -> Any:
    """The form of `value` that an audit entry keeps (JSON-ready)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return recordable(value.value, field)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): recordable(item, str(key)) for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [recordable(item, field) for item in items]
    text = str(value)
    if field not in FREE_TEXT_FIELDS and _looks_structured(text):
        return text
    return fingerprint(text)


def _looks_structured(text: str) -> bool:
    return bool(_CODE.fullmatch(text) or _REFERENCE.fullmatch(text) or _TIMESTAMP.fullmatch(text)
                or _MODEL_VERSION.fullmatch(text))
