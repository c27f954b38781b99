"""The public reference of a new case: its row id through the deployment's reference permutation, whose key is
kept in the database (cases.models.ReferenceKey)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app
from sqlalchemy import Connection, Table, event, func, select
from sqlalchemy.orm import Session, scoped_session

from civicwatch.cases.models import Case, ReferenceKey
from civicwatch.cases.references import KEY_BYTES, format_reference, permuted_number, shortest_digits_above
from civicwatch.database import upsert_insert, utcnow
from civicwatch.extensions import db

_CACHED = "civicwatch.reference_key"
_KEYS = cast(Table, ReferenceKey.__table__)
_READ = select(_KEYS.c.key, _KEYS.c.shortest_digits).where(_KEYS.c.id == 1)
_LARGEST_ID = select(func.max(Case.id))


@dataclass(frozen=True)
class Permutation:
    key: bytes
    shortest_digits: int

    def reference(self, year: int, case_id: int) -> str:
        """The reference of the case stored with row id `case_id` in `year`, under this key."""
        return format_reference(year, permuted_number(self.key, self.shortest_digits, case_id))


def public_reference(year: int, case_id: int) -> str:
    """The reference of the case stored with row id `case_id` in `year`."""
    return reference_permutation().reference(year, case_id)


def reference_permutation() -> Permutation:
    """The key, read once per process; drawn for the first case there is."""
    cached: Permutation | None = current_app.extensions.get(_CACHED)
    if cached is not None:
        return cached
    row = db.session.execute(_READ).first()
    if row is None:
        if db.session.get_bind().dialect.name != "postgresql":
            # SQLite: in the caller's transaction, which holds the one write lock, so no other can draw at the
            # same time. Kept only once that transaction commits: rolled back, the key is gone.
            drawn = _draw_key(db.session)
            _keep_when_committed(drawn)
            return drawn
        # PostgreSQL: drawn and committed on a connection of its own, so that no transaction waits for another's
        # key while holding what that one waits for (the audit chain's lock; a batch of texts holds case rows and
        # case counts): in the caller's transaction the key's row would stay locked until that one commits, and
        # every other first report would wait for all of it. Two at once: the second's insert waits only for the
        # first's one-statement transaction, then does nothing, and it reads the first's key
        # (tests/cases/test_case_reference_key_race.py). It takes a second pooled connection for one statement,
        # once per process until a key exists.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            _draw_key(connection)
            row = connection.execute(_READ).one()
    # A row read here was committed, and is never changed.
    current_app.extensions[_CACHED] = found = Permutation(row.key, row.shortest_digits)
    return found


def _draw_key(executor: Connection | Session | scoped_session[Any]) -> Permutation:
    largest = executor.scalar(_LARGEST_ID) or 0
    executor.execute(upsert_insert(db.session)(_KEYS).values(
        id=1, key=secrets.token_bytes(KEY_BYTES), shortest_digits=shortest_digits_above(largest), created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=[_KEYS.c.id]))
    row = executor.execute(_READ).one()
    return Permutation(row.key, row.shortest_digits)


def _keep_when_committed(drawn: Permutation) -> None:
    app, session, state = current_app._get_current_object(), db.session(), {"rolled_back": False}  # type: ignore[attr-defined]

    def rolled_back(_session: Session) -> None:
        state["rolled_back"] = True

    def committed(_session: Session) -> None:
        if not state["rolled_back"]:
            app.extensions.setdefault(_CACHED, drawn)

    event.listen(session, "after_rollback", rolled_back, once=True)
    event.listen(session, "after_commit", committed, once=True)
