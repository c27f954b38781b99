"""Classifying and routing a stored case. Never raises: a case that cannot be routed waits in triage."""
from __future__ import annotations

import logging

from civicwatch.cases.models import Case
from civicwatch.classify.registry import active_model_version

log = logging.getLogger(__name__)


def route_new_case(case: Case) -> None:
    """Classify the case's text and send it to a body by the routing rules, or leave it in the triage queue."""
    if active_model_version() is None:
        case.body_id = None
        case.routing_explanation = {"decision": "triage", "reason": "no classifier model is active"}
        log.info("case %s left in triage: no active model", case.id)
        return
    case.body_id = None
    case.routing_explanation = {"decision": "triage", "reason": "classifier not wired yet"}
