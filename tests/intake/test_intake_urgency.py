"""The report form's urgency question: "yes" makes the case urgent, together with what the model reads."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.deadlines import acknowledge_deadline
from civicwatch.cases.models import Case
from civicwatch.classify.registry import use_classifier
from civicwatch.extensions import db
from tests.intake.conftest import post_report
from tests.routing.conftest import FakeClassifier

QUESTION = "Is someone hurt, held or threatened right now?"
ADVICE = "Contact emergency services first"


def send(client, **changes) -> tuple[Case, str]:
    response = post_report(client, **changes)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get("/report/received").get_data(as_text=True)
    return db.session.scalars(select(Case)).one(), page


def test_the_question_is_on_the_form_and_optional(client):
    html = client.get("/report").get_data(as_text=True)
    assert QUESTION in html
    for value in ("yes", "no", "not_sure"):
        assert f'name="danger_now" type="radio" value="{value}"' in html, value
    assert not re.search(r'<input checked[^>]*name="danger_now"', html)  # nothing chosen for the citizen
    case, page = send(client)  # left unanswered
    assert case.urgent is False and ADVICE not in page


def test_yes_makes_the_case_urgent_and_shows_the_emergency_advice(client):
    case, page = send(client, danger_now="yes")
    assert case.urgent is True
    assert ADVICE in page and "marked as urgent" in page
    # Urgent cases get the shorter deadlines from the start.
    assert case.acknowledge_due_at == acknowledge_deadline(case, case.body, case.created_at)
    assert case.acknowledge_due_at < acknowledge_deadline(Case(urgent=False), case.body, case.created_at)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.submit")).one()
    assert entry.after["urgent_by_sender"] is True


@pytest.mark.parametrize("answer", ["no", "not_sure"])
def test_no_or_not_sure_leave_urgency_to_the_model(client, app, answer):
    use_classifier(app, FakeClassifier(theme="unlawful_detention", urgent=True))
    case, page = send(client, danger_now=answer)
    assert case.urgent is True and ADVICE not in page  # the model read it as urgent


def test_yes_stays_urgent_when_the_model_reads_it_as_ordinary(client, app):
    use_classifier(app, FakeClassifier(theme="unlawful_detention", confidence=0.95, urgent=False))
    case, _ = send(client, danger_now="yes")
    assert case.model_version == "fake-1"  # routed by the model
    assert case.urgent is True


def test_an_answer_not_offered_is_refused(client):
    response = post_report(client, danger_now="maybe later")
    assert response.status_code == 400
    assert "Choose “Yes”, “No” or “Not sure”" in response.get_data(as_text=True)
    assert db.session.scalars(select(Case)).first() is None
