"""Deadlines per body and urgency."""
from __future__ import annotations

import datetime as dt

from civicwatch.cases.models import Case
from civicwatch.taxonomy.models import Body


def set_deadlines(case: Case, body: Body | None, start: dt.datetime) -> None:
    """Acknowledge and respond deadlines from `start`, by the body's rules (defaults in the triage queue)."""
    ack_hours = (body.acknowledge_hours_urgent if case.urgent else body.acknowledge_hours) if body else (
        24 if case.urgent else 72)
    respond_days = (body.respond_days_urgent if case.urgent else body.respond_days) if body else 90
    case.acknowledge_due_at = start + dt.timedelta(hours=ack_hours)
    case.respond_due_at = start + dt.timedelta(days=respond_days)
