"""Admins and auditors browse the audit log per case and per user; nobody else, and nobody edits it."""
from __future__ import annotations

import re

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from tests.factories import create_case, staff_client


def test_per_case_and_per_user(app, make_user):
    case = create_case(body=None, theme=None)
    triage, auditor = make_user(Role.TRIAGE), make_user(Role.AUDITOR, name="Ada Auditor")
    staff_client(app, triage).get(f"/staff/cases/{case.id}")
    client = staff_client(app, auditor)
    page = client.get(f"/staff/audit/cases/{case.id}").get_data(as_text=True)
    assert f"Audit log of {case.reference}" in page and "case.view" in page and triage.name in page
    page = client.get(f"/staff/audit/users/{triage.id}").get_data(as_text=True)
    assert "case.view" in page and "user.login" in page
    assert client.get(f"/staff/audit/?reference={case.reference.lower()}").headers["Location"].endswith(
        f"/staff/audit/cases/{case.id}")
    assert client.get("/staff/audit/?reference=CW-1999-000001").status_code == 404
    viewed = db.session.scalars(select(AuditEntry.action).where(AuditEntry.user_id == auditor.id)).all()
    assert "audit.view_case" in viewed and "audit.view_user" in viewed


def test_older_entries_are_paged(app, make_user):
    from civicwatch.audit.operations import record_audit

    for number in range(130):
        record_audit(None, f"test.entry{number}", None)
    db.session.commit()
    client = staff_client(app, make_user(Role.ADMIN))
    first = client.get("/staff/audit/").get_data(as_text=True)
    assert "test.entry129" in first and "test.entry0<" not in first and "Older entries" in first
    pages = [first]
    while "Older entries" in pages[-1]:
        link = [part for part in pages[-1].split('"') if part.startswith("/staff/audit/?before=")][0]
        pages.append(client.get(link.replace("&amp;", "&")).get_data(as_text=True))
    assert len(pages) == 3  # 50 a page
    assert "test.entry0<" in pages[-1] and "test.entry129" not in pages[-1]
    newer = [part for part in pages[-1].split('"') if part.startswith("/staff/audit/?after=")][0]
    codes = lambda html: re.findall(r"<code>(test\.entry\d+)</code>", html)  # noqa: E731
    assert codes(client.get(newer.replace("&amp;", "&")).get_data(as_text=True)) == codes(pages[1])
    assert len(codes(pages[1])) == 50


def test_other_roles_are_refused(app, make_user):
    case = create_case(body=None, theme=None)
    for role in (Role.TRIAGE, Role.INVESTIGATOR):
        client = staff_client(app, make_user(role))
        for path in ("/staff/audit/", f"/staff/audit/cases/{case.id}", "/staff/audit/users/1"):
            assert client.get(path).status_code == 403


def test_no_method_changes_an_entry(app, make_user):
    client = staff_client(app, make_user(Role.ADMIN))
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/staff/audit/", "/staff/audit/cases/1", "/staff/audit/users/1"):
            assert client.open(path, method=method).status_code in (400, 405)
