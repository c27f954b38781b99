"""A throwaway PostgreSQL schema, for tests and benchmarks that must not touch each other's tables."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text


@contextmanager
def throwaway_schema(url: str, prefix: str = "test") -> Iterator[str]:
    """Create a uniquely named schema, yield its name, and drop it with everything in it afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def database_named(url: str, name: str) -> str:
    """The same server and credentials, another database."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def throwaway_database(url: str, template: str, prefix: str = "test") -> Iterator[str]:
    """Create a uniquely named database as a copy of `template` (which nobody may be connected to), yield its URL,
    and drop it afterwards, closing any connection still open to it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield database_named(url, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
