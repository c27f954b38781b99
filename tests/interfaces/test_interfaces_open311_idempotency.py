"""Open311 POST with an Idempotency-Key: a retried request stores nothing new and gets the first answer; keys
count per api_key; after the receipt's window a retry is told which request it stored (409)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from civicwatch.cases.models import Case, CaseEvent
from civicwatch.extensions import db
from civicwatch.intake.idempotency import RECEIPT_WINDOW
from civicwatch.interfaces.models import Open311Token
from civicwatch.interfaces.operations import issue_api_key

DESCRIPTION = "Officers at the Waterloo checkpoint take money from every okada rider."


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def create(client, api_key, key: str | None = None, field: str | None = None, fmt: str = "json", **extra):
    data = {"api_key": api_key, "service_code": "corruption", "description": DESCRIPTION, **extra}
    if field is not None:
        data["idempotency_key"] = field
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(f"/open311/v2/requests.{fmt}", data=data, headers=headers)


def test_a_retried_request_gets_the_same_answer_and_stores_once(client, api_key):
    key = str(uuid.uuid4())
    first = create(client, api_key, key)
    again = create(client, api_key, key)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(Case) == count(Open311Token) == 1
    assert db.session.scalar(select(func.count()).where(CaseEvent.kind == "open311")) == 1
    token = first.get_json()[0]["token"]
    case = db.session.scalar(select(Case))
    assert client.get(f"/open311/v2/tokens/{token}.json").get_json()[0]["service_request_id"] == case.reference


def test_the_key_may_come_as_a_field_and_must_match_the_header(client, api_key):
    key = str(uuid.uuid4())
    assert create(client, api_key, field=key).status_code == 200
    assert create(client, api_key, key).headers.get("Idempotent-Replayed") == "true"
    differ = create(client, api_key, key, field=str(uuid.uuid4()))
    assert differ.status_code == 400 and "differ" in differ.get_json()[0]["description"]
    assert count(Case) == 1


@pytest.mark.parametrize("bad", ["short", "x" * 201, "has spaces in it, really"])
def test_a_bad_key_is_refused_before_anything_is_stored(client, api_key, bad):
    response = create(client, api_key, bad)
    assert response.status_code == 400 and "Idempotency-Key" in response.get_json()[0]["description"]
    assert count(Case) == 0


def test_another_clients_same_key_is_another_request(client, api_key):
    _, other_key = issue_api_key("Bo radio station", None)
    db.session.commit()
    key = str(uuid.uuid4())
    mine, theirs = create(client, api_key, key), create(client, other_key, key)
    assert mine.status_code == theirs.status_code == 200 and "Idempotent-Replayed" not in theirs.headers
    assert mine.get_json()[0]["token"] != theirs.get_json()[0]["token"]
    assert count(Case) == 2


def test_without_a_key_each_post_is_a_new_request(client, api_key):
    create(client, api_key)
    create(client, api_key)
    assert count(Case) == 2


def test_after_the_window_a_retry_is_told_which_request_it_stored(client, api_key, clock):
    key = str(uuid.uuid4())
    create(client, api_key, key)
    clock.advance(seconds=RECEIPT_WINDOW.total_seconds() + 1)
    late = create(client, api_key, key, fmt="xml")
    reference = db.session.scalar(select(Case.reference))
    body = late.get_data(as_text=True)
    assert late.status_code == 409 and reference in body and "<code>409</code>" in body
    assert count(Case) == 1


def test_a_key_sent_again_with_another_complaint_is_refused_and_nothing_is_lost(client, api_key):
    """The client reuses its key for a new complaint (a bug, or a key per session): the second complaint must not be
    acknowledged with the first one's receipt while its words are stored nowhere."""
    key = str(uuid.uuid4())
    first = create(client, api_key, key)
    other = create(client, api_key, key, description="Soldiers at Kambia barracks beat my brother last night.")
    assert first.status_code == 200
    assert other.status_code == 422 and "different complaint" in other.get_json()[0]["description"]
    assert other.get_json()[0]["error_code"] == "idempotency_key_reused"
    moved = create(client, api_key, key, **{"attribute[district]": "kambia"})
    assert moved.status_code == 422
    assert count(Case) == 1
    again = create(client, api_key, key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()


def test_the_same_complaint_sent_again_with_the_key_as_a_field_is_the_same_request(client, api_key):
    key = str(uuid.uuid4())
    first = create(client, api_key, key)
    again = create(client, api_key, field=key)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert count(Case) == 1


def test_after_the_window_a_key_sent_again_with_another_complaint_is_still_refused(client, api_key, clock):
    """Told 409, "the complaint was received once", the client would drop a second complaint stored nowhere."""
    key = str(uuid.uuid4())
    assert create(client, api_key, key).status_code == 200
    clock.advance(seconds=RECEIPT_WINDOW.total_seconds() + 1)
    other = create(client, api_key, key, description="Soldiers at Kambia barracks beat my brother last night.")
    assert other.status_code == 422, other.get_data(as_text=True)
    assert other.get_json()[0]["error_code"] == "idempotency_key_reused"
    assert count(Case) == 1
    assert create(client, api_key, key).status_code == 409  # the same complaint: told which request it stored
    assert create(client, api_key, key, field=key).status_code == 409


def test_the_answer_with_the_receipt_code_is_kept_by_no_cache(client, api_key):
    """It holds the complainant's receipt code, which opens the case: no proxy or client cache may keep it, the
    first time or replayed."""
    key = str(uuid.uuid4())
    for response in (create(client, api_key, key), create(client, api_key, key, fmt="xml")):
        assert response.status_code == 200
        assert response.headers.get("Cache-Control") == "no-store", response.headers
