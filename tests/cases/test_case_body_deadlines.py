"""The deadlines per body (admins): two administrators editing the same body's deadlines at once do not silently
overwrite each other. The form carries the version it was rendered from; a save on an older one is refused with a
409 that says what is saved now and keeps the submitted values, to be saved again on purpose."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from tests.conftest import csrf_token_from

FIELDS = ("acknowledge_days", "acknowledge_days_urgent", "respond_days", "respond_days_urgent")


@pytest.fixture
def body(app) -> Body:
    return db.session.query(Body).filter_by(code="police_oversight").one()


def opened(client, body: Body) -> tuple[str, str]:
    """The CSRF token and the body's form version of the deadlines page as an administrator opened it."""
    page = client.get("/staff/deadlines").text
    version = re.search(rf'name="body-{body.id}-version"[^>]*value="([^"]*)"', page)
    assert version, "the body's deadlines form carries no version"
    return csrf_token_from(page), version.group(1)


def save(client, body: Body, form: tuple[str, str], *values: int):
    token, version = form
    data = {f"body-{body.id}-{name}": str(value) for name, value in zip(FIELDS, values, strict=True)}
    data.update({f"body-{body.id}-csrf_token": token, f"body-{body.id}-version": version})
    return client.post(f"/staff/deadlines/{body.id}", data=data)


def stored(body: Body) -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(getattr(db.session.get(Body, body.id), name) for name in FIELDS)


def saves() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "body.deadlines"))


def test_a_save_on_deadlines_someone_changed_meanwhile_is_refused_and_keeps_the_submitted_values(
        body, make_user, signed_in, clock):
    first, second = signed_in(make_user(Role.ADMIN)), signed_in(make_user(Role.ADMIN))
    first_form, second_form = opened(first, body), opened(second, body)

    assert save(first, body, first_form, 4, 1, 60, 20).status_code == 302
    response = save(second, body, second_form, 6, 2, 50, 15)
    assert response.status_code == 409
    assert "Someone else changed the deadlines of" in response.text
    assert "acknowledge within 4 working days" in response.text  # what is saved now
    for name, value in zip(FIELDS, (6, 2, 50, 15), strict=True):  # what the second administrator wrote, kept
        assert re.search(rf'name="body-{body.id}-{name}"[^>]*value="{value}"', response.text), name
    assert stored(body) == (4, 1, 60, 20) and saves() == 1

    # Saved again on purpose from the refusal, the second administrator's values replace the first's.
    again = re.search(rf'name="body-{body.id}-version"[^>]*value="([^"]*)"', response.text)
    assert again
    assert save(second, body, (csrf_token_from(response.text), again.group(1)), 6, 2, 50, 15).status_code == 302
    assert stored(body) == (6, 2, 50, 15) and saves() == 2


@pytest.mark.parametrize("version", ["", "not a number", "999"])
def test_a_save_without_the_version_it_was_opened_from_changes_nothing(body, make_user, signed_in, version):
    admin = signed_in(make_user(Role.ADMIN))
    token, _version = opened(admin, body)
    response = save(admin, body, (token, version), 6, 2, 50, 15)
    assert response.status_code in (400, 409)
    assert stored(body) == (5, 1, 60, 20) and saves() == 0
