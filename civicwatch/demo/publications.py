"""Published answers for the demo, made through the real publishing operations (draft, four eyes)."""
from __future__ import annotations

import random

from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.cases.models import Case, CaseStatus, Outcome
from civicwatch.extensions import db
from civicwatch.publishing.operations import approve_publication, start_publication, submit_publication

FINDINGS = {
    Outcome.SUBSTANTIATED: "The investigation confirmed what the complainant described. Officer statements, "
                           "the station diary and two witnesses agreed on the events.",
    Outcome.PARTLY_SUBSTANTIATED: "Part of the complaint was confirmed by the records and a witness; other "
                                  "parts could not be established.",
    Outcome.NOT_SUBSTANTIATED: "The investigators interviewed the people involved and examined the records "
                               "but found no evidence that supports the complaint.",
    Outcome.UNFOUNDED: "The records show the events did not happen as described.",
    Outcome.POLICY_FAILURE: "The officers followed the written procedure, but the procedure itself allowed the "
                            "harm described. The policy needs to change.",
    Outcome.NO_JURISDICTION: "The matter is outside this body's mandate and was passed to the competent "
                             "authority.",
}
# What the body did, by outcome: a demo answer must not contradict its own findings.
RESPONSES = {
    Outcome.SUBSTANTIATED: (
        "We have recommended disciplinary proceedings against the officer in charge and training for the unit. "
        "The commander has agreed to report back within 60 days.",
        "We asked the service to apologise to the complainant and to change how the post keeps its records."),
    Outcome.PARTLY_SUBSTANTIATED: (
        "We asked the service to apologise to the complainant and to change how the post keeps its records.",
        "We will check that the recommendations are carried out and publish what was done."),
    Outcome.NOT_SUBSTANTIATED: (
        "No further action will be taken on this complaint. The complainant may appeal this decision.",),
    Outcome.UNFOUNDED: (
        "No further action will be taken on this complaint. The complainant may appeal this decision.",),
    Outcome.POLICY_FAILURE: (
        "We have recommended that the service change the procedure and train every unit in the new one. We will "
        "check that it is done and publish what was done.",),
    Outcome.NO_JURISDICTION: (
        "We passed the complaint to the competent authority and told the complainant how to follow it there.",),
}


def publish_demo_answers(cases: list[Case], rng: random.Random, share: float = 0.6) -> int:
    """Publish an answer for a share of the answered demo cases; returns how many were published."""
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))
    published = 0
    for case in cases:
        if case.status not in (CaseStatus.RESPONDED, CaseStatus.CLOSED) or case.outcome is None or case.body_id is None:
            continue
        if rng.random() > share:
            continue
        author = db.session.scalar(select(User).where(User.role == Role.INVESTIGATOR, User.body_id == case.body_id))
        if author is None or admin is None:
            continue
        case.findings = FINDINGS[case.outcome]
        case.draft_public_response = rng.choice(RESPONSES[case.outcome])
        publication = start_publication(case, author)
        submit_publication(publication, author)
        approve_publication(publication, admin, confirmed=True)
        published += 1
    return published
