"""Helpers for the security tests: complaints sent through the real web form, tokens of staff pages,
whole-database snapshots and raw scans of every stored column.

Everything an attacker touches goes through HTTP; only the scene (which body holds a case, its status)
is set up directly in the database. Signed-in staff browsers and files come from tests/factories.py.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text
from werkzeug.routing import Rule

from civicwatch.cases.models import Case, CaseStatus
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from tests.conftest import csrf_token, csrf_token_from
from tests.factories import one_page_pdf, pdf_bytes, post_multipart

RECEIPT_RE = re.compile(r"\b(\d{4} \d{4} \d{4} \d{4})\b")
REFERENCE_RE = re.compile(r"CW-\d{4}-\d{6}")
WHAT_HAPPENED = ("Soldiers at the Makeni road checkpoint beat my brother with rifle butts and took his phone. "
                 "Marker {marker}.")


# ---------------------------------------------------------------- sending complaints like a citizen

def report_fields(marker: str = "alpha", **changes) -> dict:
    data = {"text": WHAT_HAPPENED.format(marker=marker), "incident_date": "", "area": "", "location_text": "",
            "reported_actor": "", "contact_choice": "anonymous", "phone": "", "email": "", "consent": "y",
            "website": ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@dataclass
class Reported:
    case_id: int
    reference: str
    code: str
    text: str


def send_report(app: Flask, marker: str = "alpha", files: Iterable[tuple[bytes, str]] = (),
                client: FlaskClient | None = None, **changes) -> Reported:
    """A complaint through /report in its own browser; the receipt read off the confirmation page."""
    client = client or app.test_client()
    fields = report_fields(marker, **changes)
    fields["csrf_token"] = csrf_token(client, "/report")
    response = post_multipart(client, "/report", fields, files)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get("/report/received").get_data(as_text=True)
    code = RECEIPT_RE.search(page).group(1)
    reference = REFERENCE_RE.search(page).group(0)
    case_id = db.session.scalar(select(Case.id).where(Case.reference == reference))
    return Reported(case_id, reference, code, fields["text"])


def track(client: FlaskClient, code: str, **kwargs):
    token = csrf_token(client, "/track")
    return client.post("/track", data={"csrf_token": token, "code": code}, **kwargs)


def place_case(case_id: int, body: str | None, status: CaseStatus = CaseStatus.TRIAGED) -> Case:
    """Put a stored case with a body, in a status (scene setting, not under test)."""
    case = db.session.get(Case, case_id)
    case.body = db.session.query(Body).filter_by(code=body).one() if body else None
    now = utcnow()
    if status in (CaseStatus.ACKNOWLEDGED, CaseStatus.INVESTIGATING, CaseStatus.RESPONDED):
        case.acknowledged_at = now
    if status is CaseStatus.RESPONDED:
        case.responded_at = now
    case.status = status
    db.session.commit()
    return case


# ---------------------------------------------------------------- staff pages

def page_token(client: FlaskClient, path: str = "/staff/") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


# ---------------------------------------------------------------- the URL map

_ARG = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>[a-z_]+)>")


def build_path(rule: Rule, values: dict[str, object]) -> str:
    """The rule's path with each argument taken from `values` (by name), 1 if absent."""
    return _ARG.sub(lambda m: str(values.get(m.group("name"), 1)), rule.rule)


def rules_with(app: Flask, method: str) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if method in r.methods and r.endpoint != "static"),
                  key=lambda r: r.rule)


# ---------------------------------------------------------------- what the database holds

def table_names(app: Flask) -> list[str]:
    return [t.name for t in db.metadata.sorted_tables]


def snapshot(exclude: Iterable[str] = ()) -> dict[str, list[tuple]]:
    """Every row of every table, as raw values, to compare before and after an attack."""
    skip = set(exclude)
    result = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = conn.execute(table.select()).all()
            result[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return result


def stored_strings() -> list[tuple[str, str, str]]:
    """(table, column, value) of every text and binary value stored, read with raw SQL, including tables
    the models do not know (the SQLite full-text index)."""
    found: list[tuple[str, str, str]] = []
    with db.engine.connect() as conn:
        inspector = inspect(conn)
        schema_tables = inspector.get_table_names()
        for table_name in schema_tables:
            columns = [c["name"] for c in inspector.get_columns(table_name)]
            if not columns:
                continue
            quoted = ", ".join(f'"{c}"' for c in columns)
            for row in conn.execute(text(f'SELECT {quoted} FROM "{table_name}"')):
                for column, value in zip(columns, row, strict=False):
                    if value is None:
                        continue
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    if isinstance(value, bytes):
                        value = value.decode("latin-1")
                    found.append((table_name, column, str(value)))
    return found


def digits_only(value: str) -> str:
    return re.sub(r"\D", "", value)


def upload_files(app: Flask) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# ---------------------------------------------------------------- files with tell-tale contents

MINIMAL_PDF = pdf_bytes(one_page_pdf())
