"""The retaliation watch in public: how many check-ins were asked and how many answers reported retaliation,
since the watch began, through the same small-count protection as every published count. A check-in for a
number that texted STOP, never texted (or cancelled in the outbox) and not answered on the follow-up page,
reached nobody: it is not counted as asked."""
from __future__ import annotations

from dataclasses import dataclass

import numpy
from sqlalchemy import and_, exists, func, not_, select

from civicwatch.cases.models import Case, RetaliationCheckIn
from civicwatch.extensions import db
from civicwatch.messaging.models import SmsOptOut
from civicwatch.transparency.suppression import (
    Figure,
    Suppression,
    protect_counts,
    published_figure,
)


@dataclass(frozen=True)
class RetaliationWatch:
    check_ins: Figure
    reported: Figure


def retaliation_watch_figures(threshold: int) -> RetaliationWatch:
    unreached = and_(RetaliationCheckIn.answered_at.is_(None),
                     exists().where(SmsOptOut.phone_hash == Case.contact_phone_hash))
    sent, reported = db.session.execute(select(
        func.count(RetaliationCheckIn.id).filter(not_(unreached)),
        func.count(RetaliationCheckIn.id).filter(RetaliationCheckIn.retaliation_reported.is_(True)),
    ).join(Case, Case.id == RetaliationCheckIn.case_id)).one()
    values = numpy.array([int(sent), int(reported)], dtype=numpy.int64)
    rules = Suppression(threshold)
    states = protect_counts(values, rules)
    return RetaliationWatch(*(published_figure(int(value), int(state), rules)
                              for value, state in zip(values, states, strict=True)))
