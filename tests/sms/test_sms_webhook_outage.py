"""The database refuses the webhook's write: Twilio gets 503 with Retry-After (it retries), never a 200 that
would lose the text, and nothing is half-written. The INSERT really fails in the database: another
connection holds the table's write lock and the webhook's connection will not wait for it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.operations import queue_sms
from civicwatch.sms.models import InboundSms, InboxText
from tests.conftest import on_postgres
from tests.sms.conftest import acknowledged, answer_waiting_texts, new_sid, replies_since, sign

REPORT = "Police at the Bo junction took my phone and money and beat me when I asked for a receipt."


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _no_waiting(dbapi_connection, connection_record, connection_proxy) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET lock_timeout = '50ms'" if on_postgres() else "PRAGMA busy_timeout = 0")
    cursor.close()
    # End the transaction the SET opened: the webhook switches its connection to autocommit, which the
    # driver refuses inside one, and that refusal would answer 503 without the lock being tried at all.
    dbapi_connection.commit()


@contextmanager
def inbox_locked(app) -> Iterator[None]:
    """Another connection holds the write lock the webhook's INSERT needs, for the duration."""
    event.listen(db.engine, "checkout", _no_waiting)
    holder = db.engine.raw_connection()
    try:
        cursor = holder.cursor()
        if on_postgres():
            cursor.execute("LOCK TABLE sms_inbox IN EXCLUSIVE MODE")
        else:
            holder.driver_connection.isolation_level = None  # type: ignore[union-attr]
            cursor.execute("BEGIN IMMEDIATE")
        yield
    finally:
        holder.rollback()
        holder.close()
        event.remove(db.engine, "checkout", _no_waiting)


@pytest.fixture
def post_text(client):
    def post(params: dict[str, str]):
        return client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sign("/sms/inbound", params)})
    return post


def test_a_text_the_database_refuses_gets_503_and_is_kept_when_twilio_retries(app, post_text):
    params = {"MessageSid": new_sid(), "From": "+23276123456", "To": "+15005550006", "Body": REPORT}
    with inbox_locked(app):
        refused = post_text(params)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
    assert count(InboxText) == 0 and count(InboundSms) == 0 and count(Case) == 0  # nothing half-written
    acknowledged(post_text(params))  # Twilio's retry: the same MessageSid, now stored
    acknowledged(post_text(params))  # and a second retry changes nothing
    assert count(InboxText) == 1
    answer_waiting_texts()
    assert count(Case) == 1 and len(replies_since(0)) == 1


def test_a_status_callback_the_database_refuses_gets_503_and_is_recorded_on_retry(app, client):
    message = queue_sms("+23276123456", "CivicWatch: your report was received.", "acknowledgement")
    message.status, message.provider_sid = OutboxStatus.SENT, new_sid()
    db.session.commit()
    params = {"MessageSid": message.provider_sid, "MessageStatus": "delivered"}
    headers = {"X-Twilio-Signature": sign("/sms/status", params)}

    def fail_the_update(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("UPDATE outbound_messages"):
            raise OperationalError(statement, parameters, ConnectionError("server closed the connection"))

    event.listen(db.engine, "before_cursor_execute", fail_the_update)
    try:
        refused = client.post("/sms/status", data=params, headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", fail_the_update)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
    assert db.session.get(OutboundMessage, message.id).status is OutboxStatus.SENT
    assert client.post("/sms/status", data=params, headers=headers).status_code == 204
    assert db.session.get(OutboundMessage, message.id).status is OutboxStatus.DELIVERED
