"""The crash sweep: cases committed but never routed (the process died between storing a complaint and
routing it) are found and routed, urgency check included, as routing on arrival would have.

A unit of work like the delivery worker's: each case is claimed, routed and committed on its own. Run by
every `deliver` worker when it starts and then every minute, and by `civicwatch route-unrouted`.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app

from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.routing.operations import claim_never_routed_case, route_new_case
from civicwatch.routing.queries import never_routed_case_ids

log = logging.getLogger(__name__)


def grace() -> dt.timedelta:
    """How old a case must be before the sweep takes it: the request that stored it routes it itself."""
    return dt.timedelta(seconds=float(current_app.config.get("ROUTING_SWEEP_GRACE_SECONDS", 60)))


def route_never_routed_cases(limit: int = 50) -> int:
    """Route up to `limit` cases that were stored but never routed, each in its own transaction; returns how
    many. Database errors are raised (the worker tries again on its next sweep)."""
    routed = 0
    for case_id in never_routed_case_ids(utcnow() - grace(), limit):
        case = claim_never_routed_case(case_id)
        if case is None:  # routed meanwhile, or being routed by another process
            db.session.rollback()
            continue
        route_new_case(case)
        db.session.commit()
        log.info("case %s was stored but never routed; routed by the sweep", case_id)
        routed += 1
    return routed
