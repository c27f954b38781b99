"""Whether a failed transaction may still have been stored: its COMMIT reached the driver and then failed.

A commit that fails before it is sent (a refused row, a full disk at a flush) stores nothing. One that fails once
sent (the connection lost, the server gone while it answered) may have been applied, with only its answer lost.
Uploads are kept for such a transaction (the orphan sweep removes them if no row names them), and a person is told
to check rather than that nothing was saved.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction

_CONNECTIONS_KEY = "civicwatch.transaction_connections"
_COMMIT_SENT_KEY = "civicwatch.commit_sent"
_OUTCOME_UNKNOWN_KEY = "civicwatch.commit_outcome_unknown"


@event.listens_for(Session, "after_begin")
def _note_connection(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    # The pooled connection's own info dict, which stays readable after the Connection is closed.
    info = connection.info
    info.pop(_COMMIT_SENT_KEY, None)
    if _CONNECTIONS_KEY not in session.info:
        session.info.pop(_OUTCOME_UNKNOWN_KEY, None)  # a new transaction: the last one's outcome is old news
    session.info.setdefault(_CONNECTIONS_KEY, []).append(info)


@event.listens_for(Engine, "commit")
def _note_commit_sent(connection: Connection) -> None:
    connection.info[_COMMIT_SENT_KEY] = True


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction may still roll back
        return
    session.info.pop(_CONNECTIONS_KEY, None)


def commit_outcome_unknown(session: Session) -> bool:
    """Whether the session's last transaction ended without a commit although its COMMIT was sent. Read it once
    the transaction has ended (in an after_transaction_end listener, or after the failed commit)."""
    connections: list[dict[str, Any]] | None = session.info.pop(_CONNECTIONS_KEY, None)
    if connections is not None:
        session.info[_OUTCOME_UNKNOWN_KEY] = any([info.pop(_COMMIT_SENT_KEY, False) for info in connections])
    return bool(session.info.get(_OUTCOME_UNKNOWN_KEY, False))


@event.listens_for(Session, "after_transaction_end")
def _settle(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # a savepoint's end is not the end of the transaction
        commit_outcome_unknown(session)
