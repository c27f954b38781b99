"""The retaliation watch in public: how many check-ins were asked and how many answers reported retaliation,
since the watch began, through the same small-count protection as every published count. A check-in for a
number that texted STOP, never texted (or cancelled in the outbox) and not answered on the follow-up page,
reached nobody: it is not counted as asked.
Each complainant is asked twice, so the figures count check-ins and answers but are protected by the people
behind them: a figure resting on fewer than `threshold` complaints is small, however many answers it counts.
The figures are as of the statistics' last publication (`as_of`): a check-in asked, an answer given or a STOP
texted since then waits for the next one, or the count's move would tell when one complainant answered."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, distinct, exists, func, not_, or_, select

from civicwatch.cases.models import Case, RetaliationCheckIn
from civicwatch.extensions import db
from civicwatch.messaging.models import SmsOptOut
from civicwatch.transparency.suppression import (
    SHOWN_CODE,
    SMALL_CODE,
    Figure,
    Suppression,
    published_figure,
)


@dataclass(frozen=True)
class RetaliationWatch:
    check_ins: Figure
    reported: Figure


def retaliation_watch_figures(threshold: int, as_of: dt.datetime) -> RetaliationWatch:
    answered = func.coalesce(RetaliationCheckIn.answered_at, RetaliationCheckIn.created_at) <= as_of
    unreached = and_(or_(RetaliationCheckIn.answered_at.is_(None), RetaliationCheckIn.answered_at > as_of),
                     exists().where(SmsOptOut.phone_hash == Case.contact_phone_hash, SmsOptOut.created_at <= as_of))
    reached, reported = not_(unreached), and_(RetaliationCheckIn.retaliation_reported.is_(True), answered)
    counts = db.session.execute(select(
        func.count(RetaliationCheckIn.id).filter(reached), func.count(distinct(Case.id)).filter(reached),
        func.count(RetaliationCheckIn.id).filter(reported), func.count(distinct(Case.id)).filter(reported),
    ).join(Case, Case.id == RetaliationCheckIn.case_id).where(RetaliationCheckIn.created_at <= as_of)).one()
    rules = Suppression(threshold)
    # Two figures and no total: each is protected by itself.
    return RetaliationWatch(*(
        published_figure(int(answers), SMALL_CODE if rules.is_small(int(people)) else SHOWN_CODE, rules)
        for answers, people in ((counts[0], counts[1]), (counts[2], counts[3]))))
