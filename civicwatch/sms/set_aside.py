"""Texts set aside: those the worker failed to answer MAX_ATTEMPTS times (the sender was asked to try again). Each
holds a number and a complainant's words, and belongs to no case, so no retention schedule reaches it: it is kept
SMS_SET_ASIDE_KEEP_DAYS after it was set aside, for an admin to give back to the worker (say, once what made it
fail is fixed), then erased by the `deliver` workers' periodic job. A text given back starts again, its clock too."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, delete, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from civicwatch.audit.operations import record_audit
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.sms.inbox import MAX_ATTEMPTS
from civicwatch.sms.models import InboxText

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SetAsideTexts:
    count: int
    oldest_erased_at: dt.datetime | None  # when the oldest goes (None: there is none)


def keep_days() -> int:
    return int(current_app.config["SMS_SET_ASIDE_KEEP_DAYS"])


def set_aside_texts() -> SetAsideTexts:
    """How many texts are set aside, and when the oldest of them is erased."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(InboxText.set_aside_at)).where(InboxText.attempts >= MAX_ATTEMPTS)).one()
    return SetAsideTexts(count, None if oldest is None else oldest + dt.timedelta(days=keep_days()))


def retry_set_aside_texts(user: Any) -> int:
    """An admin puts the texts set aside back in the queue (say, after fixing what made them fail); each starts
    again, and is kept its whole time again if it fails again. Audited; flushes only. Returns how many."""
    # An UPDATE returns a CursorResult, which has the row count; Session.execute is typed as Result.
    count = cast(CursorResult[Any], db.session.execute(
        update(InboxText).where(InboxText.attempts >= MAX_ATTEMPTS)
        .values(attempts=0, last_error=None, set_aside_at=None)
        .execution_options(synchronize_session=False)
    )).rowcount
    if count:
        record_audit(user, "sms_inbox.retry", after={"texts": count})
    return count


def erase_expired_set_aside_texts(now: dt.datetime) -> int:
    """Delete the texts set aside SMS_SET_ASIDE_KEEP_DAYS or more before `now`, audited by their count alone (never
    a number or words). Flushes only. Each text is erased and counted once however many workers run this at once:
    on PostgreSQL a second DELETE waits for the first's row locks and then finds those rows gone (and a text an
    admin gave back meanwhile no longer matches); SQLite has one writer at a time."""
    days = keep_days()
    count = cast(CursorResult[Any], db.session.execute(
        delete(InboxText).where(InboxText.attempts >= MAX_ATTEMPTS,
                                InboxText.set_aside_at <= now - dt.timedelta(days=days))
        .execution_options(synchronize_session=False)
    )).rowcount
    if count:
        record_audit(None, "sms_inbox.set_aside_erased", after={"texts": count, "keep_days": days})
    return count


def erase_expired_set_aside_texts_now() -> int:
    """The worker's job: erase and commit. On SQLite, a run that erased texts then writes the write-ahead log back
    and empties it, as the retention run does: the log holds the deleted pages as they were (encrypted, but the
    copy of a file should not keep them), and secure_delete zeroes them in the database file only."""
    count = erase_expired_set_aside_texts(utcnow())
    db.session.commit()
    if count and db.session.get_bind().dialect.name == "sqlite":
        try:
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.commit()
        except SQLAlchemyError as error:
            db.session.rollback()
            log.warning("set-aside texts: the write-ahead log was not emptied (%s)", type(error).__name__)
    return count
