"""A `deliver` worker's sending loop, idle after finding nothing to send, sends the replies its main loop has just
committed without waiting out the rest of its --interval (the real command, the webhook, Twilio's recorded HTTP)."""
from __future__ import annotations

import os
import signal
import threading

import pytest
from sqlalchemy import event

from civicwatch.extensions import db
from tests.sms.test_sms_sends_beside_answers import (
    PHONES,
    StopWhenAllSent,
    assert_every_accepted_sid_recorded_once,
    inbox_count,
    sender_over,
    text_from_every_phone,
)

INTERVAL = 60  # the longest --interval: without a wake, the replies would wait for it
# Only a bound for a worker that never sends (the code before): it is stopped then, rather than the test waiting
# a minute. The replies are asked for within a second or so.
GIVE_UP_AFTER = 30.0


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(OUTBOX_SEND_CONCURRENCY=4)
    return app_config


class SendingLoopIdleFirst:
    """Holds the worker's first inbox claim until the sending loop has made its first outbox claim, which then
    finds nothing due: the sending loop goes to wait its interval before any reply is owed."""

    def __init__(self) -> None:
        self.outbox_claimed = threading.Event()

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM sms_inbox" in statement and threading.current_thread() is threading.main_thread():
            assert self.outbox_claimed.wait(GIVE_UP_AFTER)

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if "outbound_messages" in statement and threading.current_thread().name == "outbox":
            self.outbox_claimed.set()


def test_replies_committed_while_the_sending_loop_waits_are_sent_before_its_interval_ends(app, send_text, clock):
    text_from_every_phone(send_text)
    http = sender_over(app, StopWhenAllSent())
    order = SendingLoopIdleFirst()
    event.listen(db.engine, "before_cursor_execute", order.before)
    event.listen(db.engine, "after_cursor_execute", order.after)
    give_up = threading.Timer(GIVE_UP_AFTER, lambda: os.kill(os.getpid(), signal.SIGTERM))
    give_up.start()
    try:
        result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--interval", str(INTERVAL)])
    finally:
        give_up.cancel()
        event.remove(db.engine, "before_cursor_execute", order.before)
        event.remove(db.engine, "after_cursor_execute", order.after)
    assert result.exit_code == 0, result.output
    assert order.outbox_claimed.is_set()
    assert inbox_count(app) == 0
    assert len(http.accepted) == len(PHONES)
    assert_every_accepted_sid_recorded_once(http)
