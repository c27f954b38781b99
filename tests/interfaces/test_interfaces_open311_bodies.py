"""What the Open311 POST reads before it knows who sends it: anyone can send one, so its body is bounded to what
a complaint can take before the api_key is even looked at."""
from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.interfaces.conftest import COMPLAINT


def cases() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Case))


@pytest.mark.parametrize("with_key", [False, True])
def test_a_large_multipart_body_is_refused_unread(client, api_key, with_key):
    """A file part of a few megabytes (the application takes 55 MB for the report form's files) is no part of a
    complaint sent by a client: without a key it was read and spooled before the 403, with one it was read and
    dropped."""
    data = {**COMPLAINT, "media": FileStorage(io.BytesIO(b"x" * 3_000_000), "photo.jpg")}
    if with_key:
        data["api_key"] = api_key
    boundary, body = encode_multipart(MultiDict(data))  # as bytes: the test client spools a large dict to a file
    response = client.post("/open311/v2/requests.json", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413, response.get_data(as_text=True)
    assert response.get_json()[0]["code"] == 413
    assert cases() == 0


def test_a_body_of_many_fields_is_refused_unread(client, api_key):
    data = {"api_key": api_key, **COMPLAINT, **{f"attribute[x{i}]": "1" for i in range(300)}}
    response = client.post("/open311/v2/requests.json", data=data)
    assert response.status_code == 413 and response.get_json()[0]["code"] == 413
    assert cases() == 0


def test_the_longest_complaint_still_fits(client, api_key):
    """Every field at its longest, each character four bytes in UTF-8 (twelve once percent-encoded)."""
    officer, house, person = "\U0001F46E", "\U0001F3E0", "\U0001F464"
    longest = {"api_key": api_key, **COMPLAINT, "description": officer * 4999 + ".", "address_string": house * 500,
               "email": "a" * 60 + "@example.org", "phone": "076 555 123", "attribute[incident_date]": "2026-03-01",
               "attribute[region]": "eastern", "idempotency_key": "k" * 200, "first_name": person * 200,
               "last_name": person * 200}
    response = client.post("/open311/v2/requests.json", data=longest)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert cases() == 1


@pytest.mark.parametrize("content_type, body", [
    ("application/json", None), ("text/plain", None), ("", None), ("application/xml", "<request/>"),
])
def test_a_body_not_sent_as_a_form_is_named_as_such(client, api_key, content_type, body):
    """A client that sends its fields as JSON (or forgets the Content-Type) is told so, and not that its valid
    api_key is missing; the status is one the OpenAPI description declares."""
    fields = {"api_key": api_key, **COMPLAINT}
    data = body if body is not None else (json.dumps(fields) if "json" in content_type else urlencode(fields))
    response = client.post("/open311/v2/requests.json", data=data, content_type=content_type or None)
    assert response.status_code == 415, response.get_data(as_text=True)
    [error] = response.get_json()
    assert error["error_code"] == "content_type_unsupported"
    assert "application/x-www-form-urlencoded" in error["description"]
    document = client.get("/api/openapi.json").get_json()
    assert "415" in document["paths"]["/open311/v2/requests.json"]["post"]["responses"]
    assert "content_type_unsupported" in document["components"]["schemas"]["Open311Error"]["properties"][
        "error_code"]["enum"]
    assert cases() == 0


def test_a_form_with_a_charset_or_in_multipart_is_a_form(client, api_key):
    fields = {"api_key": api_key, **COMPLAINT}
    urlencoded = client.post("/open311/v2/requests.json", data=urlencode(fields),
                             content_type="application/x-www-form-urlencoded; charset=utf-8")
    multipart = client.post("/open311/v2/requests.json", data=fields, content_type="multipart/form-data")
    assert urlencoded.status_code == multipart.status_code == 200
    assert cases() == 2


def test_an_address_too_long_beside_its_coordinates_is_refused_with_the_right_numbers(client, api_key):
    """The coordinates are written after the address into one place of at most 500 characters: an address of
    500 was refused as "you wrote 526", a length the client never sent, with no word of how much would fit."""
    fields = {"api_key": api_key, **COMPLAINT, "lat": "8.3384", "long": "-13.0718"}
    refused = client.post("/open311/v2/requests.json", data={**fields, "address_string": "a" * 500})
    assert refused.status_code == 400
    [error] = refused.get_json()
    assert error["parameter"] == "address_string" and error["error_code"] == "text_too_long"
    assert error["description"] == "Write at most 474 characters (you wrote 500).", error
    fits = client.post("/open311/v2/requests.json", data={**fields, "address_string": "a" * 474})
    assert fits.status_code == 200, fits.get_data(as_text=True)
    assert db.session.scalar(select(Case.location_text)) == "a" * 474 + " (near 8.33840, -13.07180)"
