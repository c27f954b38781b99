"""What an erasure removes and what it keeps: the personal content is found nowhere afterwards (case page,
search, public pages and exports, any column of any table, the audit log, the disk), the public statistics are
the same before and after, and the audit chain still verifies, with the erasure recorded in it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, text

from civicwatch.audit.models import AuditEntry
from civicwatch.audit.queries import verify_chain
from civicwatch.cases.models import Attachment, Case, CaseStatus, ComplainantIdentity, Outcome
from civicwatch.cases.references import new_receipt_code, receipt_hash
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus
from civicwatch.retention.erasure import ERASED
from civicwatch.retention.models import PendingFileRemoval
from civicwatch.transparency.rollup import refresh_statistics
from tests.conftest import csrf_token, on_postgres
from tests.factories import create_case, staff_client
from tests.retention.conftest import SECRETS, personal_case, run_cli, schedule

PUBLIC_PAGES = ("/transparency", "/transparency/statistics.csv", "/transparency/statistics.json",
                "/transparency/early-warning.csv", "/transparency/early-warning.json", "/published",
                "/published/answers.csv", "/published/answers.json", "/published/feed.atom")
CODE = new_receipt_code()
PUBLIC_SUMMARY = "A man was mistreated at a police station; the officer was disciplined."


def public_pages(client) -> dict[str, bytes]:
    refresh_statistics(full=True)
    db.session.commit()
    pages = {}
    for path in PUBLIC_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = response.get_data()
    return pages


def publish(case: Case, author_id: int, approver_id: int) -> None:
    db.session.add(Publication(
        case_id=case.id, version=1, summary=PUBLIC_SUMMARY, response="The officer was disciplined.",
        summary_source=f"{case.text}", response_source="Zebulon Quartermaine was beaten.", extra_terms=["Zebulon"],
        status=PublicationStatus.PUBLISHED, body_id=case.body_id, theme_id=case.theme_id, outcome=Outcome.SUBSTANTIATED,
        answered_at=case.responded_at, author_id=author_id, approver_id=approver_id, published_at=case.closed_at))
    db.session.commit()


def everything_stored() -> str:
    """Every row of every table, as text (encrypted columns are checked by their rows being gone)."""
    rows = []
    for table in db.metadata.sorted_tables:
        rows += [repr(tuple(row)) for row in db.session.execute(table.select())]
    return "\n".join(rows)


@pytest.fixture
def erased_scene(app, clock, staff):
    case = personal_case(staff)
    for _ in range(6):
        create_case(CaseStatus.CLOSED, region="western_area")
    publish(case, staff.investigator.id, staff.admin.id)
    case.receipt_hash = receipt_hash(CODE)
    db.session.commit()
    path = Path(app.config["UPLOAD_DIR"]) / case.attachments[0].stored_name[:2] / case.attachments[0].stored_name
    sealed = case.attachments[0].original_stored_name
    assert path.is_file() and (Path(app.config["UPLOAD_DIR"]) / sealed[:2] / sealed).is_file()
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 9, 12, 12, 0, tzinfo=dt.UTC)
    return Kept(case.id, case.reference, case.body_id, case.theme_id, case.created_at, case.closed_at), path


@dataclass(frozen=True)
class Kept:
    """The erased case's facts as they were (its object does not outlive the commands' sessions)."""

    id: int
    reference: str
    body_id: int
    theme_id: int
    created_at: dt.datetime
    closed_at: dt.datetime


def test_statistics_are_the_same_and_the_audit_chain_verifies_after_erasure(app, client, erased_scene):
    case, path = erased_scene
    before = public_pages(client)

    code, output = run_cli(app, "retention", "apply")
    assert code == 0, output
    assert "7 cases erased" in output and "2 files removed" in output  # the cleaned copy and the sealed original

    assert public_pages(client) == before
    assert PUBLIC_SUMMARY.encode() in before["/published/answers.csv"]
    checked, broken = verify_chain()
    assert broken is None and checked > 0
    code, output = run_cli(app, "audit", "verify")
    assert code == 0, output
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.case_erased",
                                                       AuditEntry.case_id == case.id))
    assert entry is not None and entry.after["messages"] == 2 and entry.after["attachments"] == 1
    assert entry.after["texts_in"] == 1 and entry.after["texts_out"] == 1 and entry.after["examples"] == 1
    assert not path.exists() and not any(path.parent.parent.rglob("*.sealed"))
    assert db.session.query(PendingFileRemoval).count() == 0


def test_the_erased_content_is_found_nowhere(app, client, erased_scene, staff, caplog):
    case, path = erased_scene
    admin = staff_client(app, staff.admin)
    search = "/staff/cases?queue=all&q=Quartermaine"
    assert case.reference in admin.get(search).get_data(as_text=True)  # found before
    assert any(secret in everything_stored() for secret in SECRETS)

    assert run_cli(app, "retention", "apply")[0] == 0

    assert case.reference not in admin.get(search).get_data(as_text=True)
    assert case.reference not in admin.get("/staff/cases?queue=all&q=Wilberforce").get_data(as_text=True)
    page = admin.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "was erased on" in page
    identity = admin.get(f"/staff/cases/{case.id}/identity").get_data(as_text=True)
    client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "code": CODE})
    follow_up = client.get("/track/case").get_data(as_text=True)
    assert case.reference in follow_up and "were erased at the end of the time we keep them" in follow_up
    stored = everything_stored()
    for secret in SECRETS:
        assert secret not in page + identity + follow_up + stored, secret
    assert secret_free_search_index()
    assert not any(secret in record.getMessage() for record in caplog.records for secret in SECRETS)

    db.session.expire_all()
    erased = db.session.get(Case, case.id)
    assert erased.text == ERASED and erased.contact_phone_hash is None and erased.location_text is None
    assert db.session.query(ComplainantIdentity).filter_by(case_id=case.id).count() == 0
    assert db.session.query(Attachment).filter_by(case_id=case.id).count() == 0
    # What the statistics read is kept.
    assert (erased.status, erased.outcome, erased.body_id, erased.theme_id) == (
        CaseStatus.CLOSED, Outcome.SUBSTANTIATED, case.body_id, case.theme_id)
    assert erased.closed_at == case.closed_at and erased.created_at == case.created_at
    publication = db.session.scalar(select(Publication).where(Publication.case_id == case.id))
    assert publication.summary == PUBLIC_SUMMARY and publication.summary_source == ""
    assert publication.extra_terms == []


def secret_free_search_index() -> bool:
    """The full-text index finds none of the words (SQLite keeps its own copy of the index; PostgreSQL indexes
    the row itself, checked above)."""
    if on_postgres():
        return True
    found = db.session.execute(text("SELECT rowid FROM cases_fts WHERE cases_fts MATCH 'Zebulon OR Wilberforce'"))
    messages = db.session.execute(text("SELECT rowid FROM case_messages_fts WHERE case_messages_fts MATCH "
                                       "'Zebulon OR Quartermaine'"))
    return not found.all() and not messages.all()
