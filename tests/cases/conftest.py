"""Fixtures for the case tests: `make_case` (a stored case in any status, for any body), staff browsers side by
side, and posting the case page's forms."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import create_case, staff_client


@pytest.fixture
def make_case(app):
    return create_case


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
