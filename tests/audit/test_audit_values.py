"""Audit entries keep codes and states, never personal free text: a fingerprint shows that text changed."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text, select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import record_audit
from civicwatch.audit.queries import verify_chain
from civicwatch.audit.values import FREE_TEXT_FIELDS, recordable
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.cases.workflow import transition_case
from civicwatch.extensions import db
from tests.factories import create_case, staff_client

FREE_TEXTS = [
    "Witness Fatmata Conteh saw it",
    "kamara",  # a lower-case name: looks like a code, but the field is free text
    "+23276123456",
    "23276123456",
    "fatmata.conteh@example.org",
    "SL-123-456-789",
]


def test_free_text_is_kept_only_as_a_fingerprint(app):
    for text in FREE_TEXTS:
        for field in ("findings", "reason", "witness") + (("anything",) if text != "kamara" else ()):
            kept = recordable({field: text})[field]
            assert kept != text and set(kept) == {"length", "digest"} and kept["length"] == len(text), (field, text)
    assert recordable({"reason": "same"}) == recordable({"reason": "same"})
    assert recordable({"reason": "same"}) != recordable({"reason": "other"})


def test_codes_states_numbers_and_dates_are_kept_as_they_are(app):
    when = dt.datetime(2026, 12, 3, 10, 30, tzinfo=dt.UTC)
    value = {"status": CaseStatus.TRIAGED, "theme": "abuse_of_force", "body": "police_oversight", "count": 3,
             "urgent": True, "at": when, "reference": "CW-2026-000303", "none": None, "ids": [1, 2]}
    assert recordable(value) == {"status": "triaged", "theme": "abuse_of_force", "body": "police_oversight",
                                 "count": 3, "urgent": True, "at": when.isoformat(),
                                 "reference": "CW-2026-000303", "none": None, "ids": [1, 2]}


def test_no_stored_entry_or_audit_page_carries_the_text(app, make_user):
    case = create_case(body=None, theme=None)
    case_id = case.id
    record_audit(None, "case.findings", case, before={"findings": None},
                 after={"outcome": "upheld", "findings": FREE_TEXTS[0], "note": {"by": FREE_TEXTS[4]}})
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.findings"))
    stored = repr((entry.before, entry.after))
    assert all(text not in stored for text in FREE_TEXTS) and entry.after["outcome"] == "upheld"
    assert verify_chain()[1] is None
    page = staff_client(app, make_user(Role.AUDITOR)).get(f"/staff/audit/cases/{case_id}").get_data(as_text=True)
    assert FREE_TEXTS[0] not in page and f"text of {len(FREE_TEXTS[0])} characters" in page


# Free-text columns whose name is not a free-text key of audit values, and why.
NOT_FREE_TEXT_KEYS = {
    ("users", "password_hash"): "a hash, never audited",
    # "body" names an oversight body's code in audit values; message texts are never audited.
    ("case_messages", "body"): "never audited", ("outbound_messages", "body"): "never audited",
}


def test_every_free_text_column_is_fingerprinted_by_its_name(app):
    columns = [(table.name, column.name) for table in db.metadata.sorted_tables for column in table.columns
               if isinstance(column.type, Text) or (isinstance(column.type, String) and (column.type.length or 0) > 64)]
    assert len(columns) > 30
    missing = [c for c in columns if c[1] not in FREE_TEXT_FIELDS and c not in NOT_FREE_TEXT_KEYS]
    assert not missing, missing


def test_a_status_reason_shaped_like_a_code_is_only_a_fingerprint(app, make_user):
    triage = make_user(Role.TRIAGE)
    case = create_case(CaseStatus.TRIAGED)
    reason = "fatmata.kamara-witness"  # a witness's name, as a contact list spells it
    transition_case(db.session.get(Case, case.id), CaseStatus.REJECTED, triage, reason=reason)
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.reject"))
    assert reason not in repr(entry.before) + repr(entry.after)
    assert entry.after["status_reason"] == entry.after["reason"] and set(entry.after["reason"]) == {"length", "digest"}
