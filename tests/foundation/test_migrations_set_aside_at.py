"""Texts set aside before the inbox recorded when (b5d2e8a4c7f3) get the upgrade's time: an admin still has the whole
SMS_SET_ASIDE_KEEP_DAYS to give them back before the worker erases them; texts waiting get none."""
from __future__ import annotations

import datetime as dt

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from civicwatch.extensions import db
from civicwatch.sms.models import InboxText

BEFORE = "e7b3c9d1f4a2"


def test_texts_set_aside_before_the_upgrade_start_their_time_at_the_upgrade(empty_app, clock):
    upgrade(revision=BEFORE)
    received = clock.now - dt.timedelta(days=400)
    with db.engine.begin() as connection:
        for sid, attempts in (("SM" + "1" * 32, 3), ("SM" + "2" * 32, 1)):
            connection.execute(InboxText.__table__.insert().values(
                message_sid=sid, sender_hash=sid, payload_encrypted=b"x", received_at=received, attempts=attempts))
    clock.advance(hours=1)
    upgrade()
    rows = db.session.execute(select(InboxText.attempts, InboxText.set_aside_at).order_by(InboxText.id)).all()
    assert [tuple(row) for row in rows] == [(3, clock.now), (1, None)]

    db.session.remove()
    downgrade(revision=BEFORE)
    upgrade()
    assert db.session.scalar(select(InboxText.set_aside_at).where(InboxText.attempts == 3)) == clock.now
