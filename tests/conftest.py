"""Fixtures: an app per test from the factory, with its own real database.

SQLite: a fresh database file per test. PostgreSQL (TEST_DATABASE_URL set): a fresh schema per test.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from civicwatch import create_app
from civicwatch.accounts.models import Role, User
from civicwatch.accounts.operations import create_user
from civicwatch.database import set_clock
from civicwatch.extensions import db
from civicwatch.routing.rule_operations import load_routing_rules
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.operations import load_taxonomy
from config import TestingConfig
from tests.postgres import throwaway_schema

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
PASSWORD = "correct horse battery staple"


def on_postgres() -> bool:
    return POSTGRES_URL.startswith("postgresql")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[tuple[str, dict]]:
    """A database URL (and engine options) nobody else uses, removed after the test."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}", {}
        return
    with throwaway_schema(POSTGRES_URL) as schema:
        yield POSTGRES_URL, {"connect_args": {"options": f"-csearch_path={schema}"}}


def make_config(database_url: tuple[str, dict], tmp_path: Path, **overrides) -> type[TestingConfig]:
    url, engine_options = database_url
    attrs = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **engine_options},
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "MODEL_DIR": str(tmp_path / "models"),
        "AUDIT_ANCHOR_FILE": str(tmp_path / "audit_anchor.json"),
        **overrides,
    }
    return type("PerTestConfig", (TestingConfig,), attrs)


@pytest.fixture
def app_config(database_url, tmp_path: Path) -> dict:
    """Override settings for one test by updating this dict before `app` is built."""
    return {}


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own `g` and database session.

    The test's own session is expired afterwards so that it re-reads what the request committed.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def app(database_url, tmp_path: Path, app_config: dict) -> Iterator[Flask]:
    app = create_app(make_config(database_url, tmp_path, **app_config))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_routing_rules()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def empty_app(database_url, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database (no tables, nothing loaded): for the migration tests."""
    app = create_app(make_config(database_url, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def body_by_code(code: str) -> Body:
    return db.session.query(Body).filter_by(code=code).one()


@pytest.fixture
def make_user(app: Flask):
    counter = iter(range(1, 10_000))

    def factory(role: Role | str = Role.TRIAGE, body: str | Body | None = None, **kwargs) -> User:
        role = Role(role)
        if isinstance(body, str):
            body = body_by_code(body)
        if role is Role.INVESTIGATOR and body is None:
            body = body_by_code("police_oversight")
        if role is Role.COMMUNITY and body is None:
            body = body_by_code("community_southern")
        email = kwargs.pop("email", f"{role.value}{next(counter)}@example.org")
        user = create_user(email, kwargs.pop("name", email), role, kwargs.pop("password", PASSWORD), body=body)
        db.session.commit()
        return user

    return factory


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


@pytest.fixture
def login_as(client: FlaskClient):
    def login(user: User, password: str = PASSWORD) -> FlaskClient:
        response = client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email,
                                               "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return login


class ManualClock:
    """The app's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock():
    """The app's clock fixed at 2026-03-12 09:00 UTC; `clock.advance(minutes=...)` moves it."""
    fixed = ManualClock()
    set_clock(fixed)
    yield fixed
    set_clock(None)
