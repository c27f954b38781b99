"""`make_case`: a case stored directly with the models, in any status, for any body."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from civicwatch.cases.deadlines import set_deadlines
from civicwatch.cases.models import Case, CaseEvent, CaseStatus, Channel, Outcome
from civicwatch.cases.references import format_reference, new_receipt_code, receipt_hash, temporary_reference
from civicwatch.crypto import encrypt_json, keyed_hash
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body, Theme
from tests.conftest import PASSWORD, csrf_token

STATUS_TIMESTAMPS = {
    CaseStatus.ACKNOWLEDGED: ("acknowledged_at",),
    CaseStatus.INVESTIGATING: ("acknowledged_at",),
    CaseStatus.RESPONDED: ("acknowledged_at", "responded_at"),
    CaseStatus.CLOSED: ("acknowledged_at", "responded_at", "closed_at"),
    CaseStatus.REOPENED: ("acknowledged_at",),
    CaseStatus.REJECTED: ("closed_at",),
    CaseStatus.REFERRED: ("closed_at",),
    CaseStatus.WITHDRAWN: ("closed_at",),
}


@pytest.fixture
def make_case(app):
    counter = itertools.count(1)

    def factory(status: CaseStatus | str = CaseStatus.RECEIVED, body: str | Body | None = "police_oversight",
                text: str | None = None, urgent: bool = False, theme: str | None = "misconduct",
                created_at: dt.datetime | None = None, phone: str | None = None, **fields) -> Case:
        status = CaseStatus(status)
        if isinstance(body, str):
            body = db.session.query(Body).filter_by(code=body).one()
        created = created_at or utcnow() - dt.timedelta(hours=1)
        case = Case(
            reference=temporary_reference(), receipt_hash=receipt_hash(new_receipt_code()),
            text=text or f"An officer at the station shouted at my neighbour, complaint number {next(counter)}.",
            channel=Channel.WEB, status=status, urgent=urgent, body=body, created_at=created,
            theme=db.session.query(Theme).filter_by(code=theme).one() if theme else None,
            theme_confidence=0.9 if theme else None, routed_by_hand=False,
        )
        if phone:
            case.contact_encrypted = encrypt_json({"phone": phone})
            case.contact_phone_hash = keyed_hash("phone", phone)
        set_deadlines(case, body, created)
        for name in STATUS_TIMESTAMPS.get(status, ()):
            setattr(case, name, created + dt.timedelta(minutes=30))
        if status in (CaseStatus.RESPONDED, CaseStatus.CLOSED):
            case.outcome, case.findings = Outcome.SUBSTANTIATED, "The officer was at fault."
        for name, value in fields.items():
            setattr(case, name, value)
        db.session.add(case)
        db.session.flush()
        case.reference = format_reference(created.year, case.id)
        db.session.add(CaseEvent(case=case, kind="received", to_status="received", public=True, created_at=created))
        db.session.commit()
        return case

    return factory


def staff_client(app, user) -> FlaskClient:
    """A separate signed-in browser for `user`, so several staff can act side by side."""
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


@pytest.fixture
def signed_in(app):
    return lambda user: staff_client(app, user)


def post_case_form(client: FlaskClient, case_id: int, path: str, prefix: str, version: int | None = None,
                   **fields) -> TestResponse:
    """POST one of the case page's forms the way the browser does: prefixed fields, CSRF, version."""
    if version is None:
        version = db.session.get(Case, case_id).version
    data = {f"{prefix}-csrf_token": csrf_token(client, "/staff/"), f"{prefix}-version": str(version)}
    data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    return client.post(f"/staff/cases/{case_id}/{path}", data=data)


def fresh(case: Case) -> Case:
    """The case as stored now (another request changed it)."""
    db.session.expire_all()
    return db.session.get(Case, case.id)
