"""Retaliation watch: complainants who said they fear retaliation are asked, 30 and 90 days after their case
closed, whether anything happened to them because they reported: by SMS through the outbox when they reported
with a phone (and have not texted STOP), otherwise on the follow-up page the next time they open it.

Each round is sent exactly once: the check-in row is unique per (case, round), so a second worker running the
same job at the same moment fails to insert it and sends nothing. Flush, never commit.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError

from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import Case, CaseStatus, RetaliationCheckIn
from civicwatch.cases.notifications import notify_complainant, sms_prefix
from civicwatch.crypto import DecryptionError
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.queries import WAITING

log = logging.getLogger(__name__)

ROUNDS = (30, 90)  # days after closure
BATCH = 200
PURPOSE = "retaliation_check_in"  # the outbox rows that ask it
# The phone's conversation then waits for the answer (sms/operations.py).
SMS_QUESTION = _l("Has anything happened to you because you reported? Reply YES or NO, or text us what happened.")


def due_round(case: Case, now: dt.datetime) -> int | None:
    """The latest round due for a closed case, if any (a worker that was down sends only the latest)."""
    if case.closed_at is None:
        return None
    due = [days for days in ROUNDS if now >= case.closed_at + dt.timedelta(days=days)]
    return due[-1] if due else None


def _candidates(now: dt.datetime) -> list[Case]:
    first = now - dt.timedelta(days=ROUNDS[0])
    asked = [exists().where(RetaliationCheckIn.case_id == Case.id, RetaliationCheckIn.round_days == days)
             for days in ROUNDS]
    last = now - dt.timedelta(days=ROUNDS[-1])
    return list(db.session.scalars(select(Case).where(
        Case.fears_retaliation.is_(True), Case.status == CaseStatus.CLOSED, Case.closed_at <= first,
        ~Case.erased,  # its contact details and texts are gone: nobody could be asked
        or_(and_(Case.closed_at > last, ~asked[0]), and_(Case.closed_at <= last, ~asked[-1])),
    ).order_by(Case.id).limit(BATCH)))


def send_due_check_ins(now: dt.datetime) -> list[RetaliationCheckIn]:
    """Ask every check-in that is due; returns those this call asked. Each one commits on its own savepoint:
    the one another worker took already is skipped, and so is one whose contact details cannot be decrypted."""
    sent = []
    for case in _candidates(now):
        days = due_round(case, now)
        if days is None:
            continue
        try:
            with db.session.begin_nested():  # a case that fails leaves nothing behind, and the others go on
                check_in = _ask(case, days)
        except DecryptionError as error:  # contact details under another key: asked once they can be read
            log.warning("retaliation check-in for case %s not asked (%s); tried again at the next turn", case.id,
                        type(error).__name__)
            continue
        if check_in is not None:
            sent.append(check_in)
    return sent


def _ask(case: Case, days: int) -> RetaliationCheckIn | None:
    try:
        with db.session.begin_nested():
            check_in = RetaliationCheckIn(case_id=case.id, round_days=days)
            db.session.add(check_in)
            db.session.flush()
    except IntegrityError:
        log.info("retaliation check-in for case %s was taken by another worker", case.id)
        return None
    outbound = notify_complainant(case, lambda: sms_prefix(case) + str(SMS_QUESTION), PURPOSE)
    check_in.by_sms = outbound is not None
    db.session.flush()
    record_audit(None, "case.retaliation_check_in", check_in, case=case,
                 after={"round_days": days, "by_sms": check_in.by_sms})
    return check_in


def open_check_in(case: Case) -> RetaliationCheckIn | None:
    """The case's latest check-in while it is unanswered, shown on its follow-up page. An earlier round left
    unanswered is not asked again once a later one is answered: the answer covers the time since closure."""
    latest = db.session.scalar(select(RetaliationCheckIn).where(RetaliationCheckIn.case_id == case.id)
                               .order_by(RetaliationCheckIn.round_days.desc()).limit(1))
    return latest if latest is not None and latest.answered_at is None else None


def question_on_its_way(check_in: RetaliationCheckIn) -> bool:
    """Whether the texted question has not reached the phone yet: still in the outbox, waiting for the worker or,
    on WhatsApp, for the citizen to answer the template that stands in for it outside the session window."""
    return bool(db.session.scalar(select(exists().where(
        OutboundMessage.case_id == check_in.case_id, OutboundMessage.purpose == PURPOSE,
        OutboundMessage.status.in_(WAITING), OutboundMessage.provider_sid.is_(None)))))
