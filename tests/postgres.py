"""Throwaway PostgreSQL schemas and databases, for tests and benchmarks that must not touch each other's tables."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool


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


# What a copy keeps of the template to be reset to it: the rows of every table that has any, and a log of
# every DDL command run in it (an event trigger writes it), so that a copy whose schema a test changed is dropped.
PREPARE_TEMPLATE = """
CREATE SCHEMA pristine;
CREATE TABLE pristine.ddl_commands (tag text NOT NULL);
CREATE FUNCTION pristine.note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO pristine.ddl_commands VALUES (tg_tag); END $$;
CREATE EVENT TRIGGER civicwatch_test_ddl ON ddl_command_end EXECUTE FUNCTION pristine.note_ddl();
CREATE EVENT TRIGGER civicwatch_test_drop ON sql_drop EXECUTE FUNCTION pristine.note_ddl();
"""


# The tables of the public schema that have pages: any that ever held a row, committed or not.
_USED_TABLES = ("SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
                "AND c.relkind = 'r' AND pg_relation_size(c.oid) > 0 ORDER BY c.relname")


class DatabaseCopies:
    """Databases copied from a template for the tests, each reset to the template's contents after a test and
    used again, instead of dropped and copied anew: a copy costs PostgreSQL about 250 ms, a reset a few dozen.

    A copy is reset only when nothing can be left of the test in it: no other client is connected to it (a
    process or engine the test left behind could still write; autovacuum does not count), no DDL was run in it
    (tables, triggers, functions), and the reset takes its locks at once and empties every table's pages.
    Otherwise it is dropped, and the next test gets a fresh copy. The reset deletes every row with triggers off,
    vacuums, puts back the template's rows and sets every sequence where the template's was, so a reused copy
    gives the same ids, in the same order, as a fresh one.

    Needs a superuser (event triggers, `session_replication_role`); without one every test gets a fresh copy.
    """

    def __init__(self, url: str, template: str) -> None:
        self.url = url
        self.template = template
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT")
        self.free: list[str] = []
        self.refill = self._prepare_template()

    def _prepare_template(self) -> str | None:
        """What puts the template's rows back (see `_reset`), or None when the template cannot be prepared."""
        with self.admin.connect() as conn:
            if not conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
                return None
        engine = create_engine(database_named(self.url, self.template), poolclass=NullPool)
        try:
            with engine.begin() as conn:
                tables = conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                           "ORDER BY tablename")).all()
                seeded = [table for table in tables
                          if conn.scalar(text(f'SELECT EXISTS (SELECT FROM public."{table}")'))]
                sequences = conn.execute(text("SELECT sequencename, last_value FROM pg_sequences "
                                              "WHERE schemaname = 'public' ORDER BY sequencename")).all()
                conn.execute(text(PREPARE_TEMPLATE))
                for table in seeded:
                    conn.execute(text(f'CREATE TABLE pristine."{table}" AS TABLE public."{table}"'))
                # The DDL above is the template's own, not a test's.
                conn.execute(text("DELETE FROM pristine.ddl_commands"))
        finally:
            engine.dispose()
        refill = ";\n".join(
            ["SET LOCAL session_replication_role = replica"]
            + [f'INSERT INTO public."{table}" SELECT * FROM pristine."{table}"' for table in seeded]
            + [f"SELECT setval('public.\"{name}\"', {value or 1}, {'true' if value else 'false'})"
               for name, value in sequences])
        return refill

    def take(self) -> str:
        """The name of a database with the template's contents that nobody else uses."""
        if self.free:
            return self.free.pop()
        name = f"test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        return name

    def give_back(self, name: str) -> None:
        if self.refill is not None and self._reset(name, self.refill):
            self.free.append(name)
        else:
            self.drop(name)

    def _reset(self, name: str, refill: str) -> bool:
        """The rows of every table that has pages deleted, those tables vacuumed, the template's rows put back.
        The VACUUM gives each table back its pages, so that new rows are stored, and read by a query without
        ORDER BY, in the order they are written, as in a fresh copy (rows written into the space of deleted ones
        come back out of order). A table without pages never held a row, and is left alone."""
        engine = create_engine(database_named(self.url, name), poolclass=NullPool)
        try:
            with engine.begin() as conn:
                others = conn.scalar(text("SELECT count(*) FROM pg_stat_activity "
                                          "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                                          "AND backend_type = 'client backend'"))
                if others or conn.scalar(text("SELECT EXISTS (SELECT FROM pristine.ddl_commands)")):
                    return False
                used = [f'public."{table}"' for table in conn.scalars(text(_USED_TABLES))]
                conn.execute(text(";\n".join(["SET LOCAL lock_timeout = '2s'",
                                               "SET LOCAL session_replication_role = replica"]
                                              + [f"DELETE FROM {table}" for table in used])))
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                if used:
                    conn.execute(text("VACUUM " + ", ".join(used)))
                if conn.scalar(text(f"SELECT EXISTS ({_USED_TABLES})")):
                    return False  # a snapshot elsewhere kept some deleted rows: a fresh copy instead
            with engine.begin() as conn:
                conn.execute(text(refill))
            return True
        except DBAPIError:
            return False
        finally:
            engine.dispose()

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))

    def close(self) -> None:
        while self.free:
            self.drop(self.free.pop())
        self.admin.dispose()
