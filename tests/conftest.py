"""Fixtures: an app per test from the factory, with its own real database.

SQLite: a fresh database file per test. PostgreSQL (TEST_DATABASE_URL set): for tests with an `app`, a database
with only the template's contents (a copy of it, reset to it after each test and used again), a fresh schema for
the others.

The tables, the taxonomy and the routing rules are built once per run into a template database; each test's
`app` starts on a copy of it (a file copy on SQLite; on PostgreSQL a CREATE DATABASE ... TEMPLATE copy, reset by
tests.postgres.DatabaseCopies after the test for the next one), which is many times faster than building them for every test. The copy is then given what a build in the test
would have given it: the setup's audit entries are dated by the test's clock and chained with its key, the
anchor file in the test's tmp_path records their tip, and the taxonomy gets a new version token.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, select, text

from civicwatch import create_app
from civicwatch.accounts import passwords
from civicwatch.accounts.models import Role, User
from civicwatch.accounts.operations import create_user
from civicwatch.audit.anchor import note_audit_written
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.operations import GENESIS_HASH, chain_key, entry_digest
from civicwatch.database import set_clock, utcnow
from civicwatch.extensions import db
from civicwatch.raw_statements import _unpinged_pool
from civicwatch.routing.rule_operations import load_routing_rules
from civicwatch.taxonomy.cache import VERSION_SETTING
from civicwatch.taxonomy.models import Body, Setting
from civicwatch.taxonomy.operations import load_taxonomy
from config import TestingConfig
from tests.postgres import DatabaseCopies, database_named, throwaway_database, throwaway_schema
from tests.url_builders import share_url_builders

share_url_builders()

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
PASSWORD = "correct horse battery staple"


def on_postgres() -> bool:
    return POSTGRES_URL.startswith("postgresql")


SQLITE_FILE = "test.sqlite3"


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Every table, the taxonomy and the routing rules, built once per run: on SQLite the path of a database
    file to copy, on PostgreSQL the name of a database to copy."""
    workdir = tmp_path_factory.mktemp("template")
    if not on_postgres():
        path = workdir / SQLITE_FILE
        build_database((f"sqlite:///{path}", {}), workdir)
        with closing(sqlite3.connect(path)) as conn:  # everything into the file itself: a copy of it is complete
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        yield str(path)
        return
    with throwaway_database(POSTGRES_URL, "template1", prefix="template") as url:
        build_database((url, {}), workdir)
        yield str(make_url(url).database)


def build_database(database_url: tuple[str, dict], workdir: Path) -> None:
    app = create_app(make_config(database_url, workdir))
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_routing_rules()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_copies(template_database: str) -> Iterator[DatabaseCopies]:
    """PostgreSQL: copies of the template database, reset and used again from test to test."""
    copies = DatabaseCopies(POSTGRES_URL, template_database)
    yield copies
    copies.close()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict]]:
    """A database URL (and engine options) nobody else uses, removed after the test. With an `app`, a copy of
    the template database; otherwise empty."""
    built = "app" in request.fixturenames
    if not on_postgres():
        path = tmp_path / SQLITE_FILE
        if built:
            shutil.copyfile(request.getfixturevalue("template_database"), path)
        yield f"sqlite:///{path}", {}
        return
    if built:
        copies: DatabaseCopies = request.getfixturevalue("database_copies")
        name = copies.take()
        yield database_named(POSTGRES_URL, name), {}
        copies.give_back(name)
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
        as_if_built_now()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def as_if_built_now() -> None:
    """Make the copied template what building it in this test would have made: its audit entries dated now and
    chained with this app's key (their tip anchored at the commit), a new taxonomy version token."""
    session = db.session
    version = session.get(Setting, VERSION_SETTING)
    assert version is not None, "the template database has no taxonomy version"
    version.value = uuid.uuid4().hex
    prev_hash = GENESIS_HASH
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        entry.created_at = utcnow()
        entry.prev_hash = prev_hash
        entry.hash = entry_digest(chain_key(), prev_hash, entry.seq, entry.created_at, entry.user_id,
                                  entry.action, entry.object_type, entry.object_id, entry.case_id,
                                  entry.before, entry.after)
        prev_hash = entry.hash
    note_audit_written(session())


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


def change_taxonomy_elsewhere(statement: str, parameters: dict | None = None, token: str = "elsewhere") -> None:
    """Another process (plain SQL, none of our session events) changes the taxonomy and its version, and commits."""
    with db.engine.begin() as other:
        other.execute(text(statement), parameters or {})
        other.execute(text("UPDATE settings SET value = :value WHERE key = :key"),
                      {"value": f'"{token}"', "key": VERSION_SETTING})


def terminate_the_raw_statements_connections(count: int = 3) -> None:
    """PostgreSQL restarted under the raw statements' pool (no pre-ping: civicwatch/raw_statements.py): `count`
    idle connections in it, as after a busy minute, each with its server process terminated."""
    pool = _unpinged_pool(db.engine)
    held = [pool.connect() for _ in range(count)]
    backends = [connection.driver_connection.info.backend_pid for connection in held]
    for connection in held:
        connection.close()
    for backend in backends:
        assert db.session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    db.session.commit()


def terminate_the_sessions_backend() -> None:
    """PostgreSQL goes away under the test's session: its server process is terminated from another connection."""
    backend = db.session.connection().connection.driver_connection.info.backend_pid
    with db.engine.connect() as other:
        assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})


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


def forms_posting_to(page: str, action: str) -> list[str]:
    """The forms of the page that post to `action` (a confirmation step's row offers a link, not one of these)."""
    return re.findall(rf'<form[^>]*method="post"[^>]*action="{re.escape(action)}"', page)


def audit_count() -> int:
    return len(db.session.scalars(select(AuditEntry.id)).all())


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


# argon2id at its lowest cost; the production settings take most of a second per sign-in on a loaded machine.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


# The tests of passwords and sign-in themselves keep the production settings.
REAL_PASSWORD_HASHING_FOLDERS = {"accounts", "security"}


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords hashed and checked with argon2id at its lowest cost, in every test but those of passwords and
    sign-in. Each sign-in still goes through the real /login and a real check."""
    if REAL_PASSWORD_HASHING_FOLDERS & set(request.path.relative_to(Path(__file__).parent).parts[:-1]):
        return
    monkeypatch.setattr(passwords, "_hasher", CHEAP_HASHER)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", CHEAP_HASHER.hash("civicwatch-timing-equaliser"))


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
