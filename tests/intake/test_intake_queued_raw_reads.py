"""The queued request's reads outside the session (raw_statements.SingleRowSelect): values converted as SQLAlchemy
converts them, and a server restart survived as the session's pre-ping would survive it."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, select

from civicwatch.extensions import db
from civicwatch.intake.models import QueuedReport
from civicwatch.raw_statements import SingleRowSelect
from tests.conftest import on_postgres, terminate_the_raw_statements_connections
from tests.intake.test_intake_idempotency import open_form, send
from tests.intake.test_intake_queued_reports import (  # noqa: F401 - app_config: the fixture that queues reports
    app_config,
    code_on,
    queued,
    receipt_page,
)

_ROW = SingleRowSelect(select(QueuedReport.id, QueuedReport.received_at, QueuedReport.payload_encrypted,
                              QueuedReport.urgent, QueuedReport.filed_at)
                       .where(QueuedReport.key_hash == bindparam("key_hash")))


def test_a_row_read_outside_the_session_has_the_types_the_orm_gives(app, client, clock):
    send(client, open_form(client), danger_now="yes")
    [stored] = queued()

    row = _ROW(db.engine, {"key_hash": stored.key_hash})
    assert row.id == stored.id and row.urgent is True and row.filed_at is None
    assert row.received_at == clock.now and row.received_at.tzinfo is not None
    assert row.received_at.utcoffset() == dt.timedelta(0)
    assert bytes(row.payload_encrypted) == stored.payload_encrypted
    assert _ROW(db.engine, {"key_hash": "0" * 64}) is None


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="terminates a PostgreSQL backend")
def test_a_queued_report_is_stored_through_connections_the_server_dropped(app, client):
    """Its look-up and its INSERT skip the session's pre-ping: after a restart every pooled connection is dead, and
    the report is still stored and acknowledged (the idle connections thrown away, a fresh one used)."""
    hidden = open_form(client)
    terminate_the_raw_statements_connections()

    response = send(client, hidden)
    assert response.status_code == 303
    code = code_on(receipt_page(client))
    [row] = queued()
    assert row.receipt_hash and code
