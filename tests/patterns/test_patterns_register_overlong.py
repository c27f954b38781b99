"""A register file with one very long value (over the csv module's 128 KiB field limit, well under the 5 MB
upload limit) is a 400 naming the problem, not a 500."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.extensions import db
from civicwatch.patterns.models import Subject
from tests.conftest import csrf_token


def test_a_register_file_with_an_overlong_field_is_a_400(app, make_user, signed_in):
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    content = b"kind,name,aliases\npost,Tongo post," + b"a" * 140_000 + b"\n"
    response = investigator.post("/staff/patterns/subjects/import", data={
        "csrf_token": csrf_token(investigator, "/staff/patterns/subjects"), "body": "police_oversight",
        "file": (io.BytesIO(content), "register.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400, response.status_code
    assert db.session.scalar(select(func.count(Subject.id))) == 0
    assert "cannot be read as CSV" in response.get_data(as_text=True)
