"""The pattern job: find the clusters above PATTERN_RULES and raise or update their alerts, in one transaction.
Run by every `deliver` worker when it starts and then every PATTERN_SWEEP_MINUTES, and by `civicwatch patterns
detect`."""
from __future__ import annotations

import logging

from flask import current_app

from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.patterns.alerts import AlertReport, raise_alerts
from civicwatch.patterns.detection import find_clusters, rules_from_config

log = logging.getLogger(__name__)


def detect_patterns() -> AlertReport:
    """Raise the alerts the data calls for now and commit them. Database errors are raised (try again later)."""
    rules = rules_from_config(current_app.config.get("PATTERN_RULES", ()))
    report = raise_alerts(find_clusters(rules, utcnow()))
    db.session.commit()
    if report.raised or report.updated:
        log.info("pattern alerts: %s raised, %s updated", report.raised, report.updated)
    return report
