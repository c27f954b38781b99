"""The complainant's side of an answer: rating it and appealing (operations the follow-up page and the SMS
dialogue call)."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.feedback import appeal_answer, rate_answer
from civicwatch.cases.models import CaseEvent, CaseStatus
from civicwatch.errors import DomainError, InvalidTransitionError
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("rating", [1, 3, 5, "4", " 2 "])
def test_an_answered_case_can_be_rated(make_case, rating):
    case = make_case(CaseStatus.CLOSED)
    rate_answer(case, rating)
    db.session.commit()
    assert case.satisfaction == int(str(rating).strip())
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "answer_rated"))
    assert event.public and event.detail == {"rating": case.satisfaction}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.rate"))
    assert entry.user_id is None and entry.after == {"satisfaction": case.satisfaction}


def test_a_new_rating_replaces_the_old(make_case):
    case = make_case(CaseStatus.RESPONDED)
    rate_answer(case, 2)
    rate_answer(case, 5)
    db.session.commit()
    assert case.satisfaction == 5


@pytest.mark.parametrize("rating", [0, 6, "five", None, "3.5"])
def test_a_rating_must_be_one_to_five(make_case, rating):
    with pytest.raises(DomainError):
        rate_answer(make_case(CaseStatus.CLOSED), rating)


def test_there_is_nothing_to_rate_before_the_answer(make_case):
    with pytest.raises(InvalidTransitionError):
        rate_answer(make_case(CaseStatus.INVESTIGATING), 4)


def test_an_appeal_reopens_the_case_with_the_reason_on_the_timeline(make_case):
    case = make_case(CaseStatus.CLOSED)
    appeal_answer(case, "  They never asked the witnesses.  ")
    db.session.commit()
    assert case.status is CaseStatus.REOPENED and case.closed_at is None
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.to_status == "reopened"))
    assert event.public and event.user_id is None and event.detail["reason"] == "They never asked the witnesses."


def test_an_appeal_can_go_to_another_body(make_case):
    case = make_case(CaseStatus.RESPONDED, assigned_to_id=None)
    other = db.session.scalar(select(Body).where(Body.code == "human_rights_commission"))
    appeal_answer(case, "The police oversight body is too close to the police.", body=other)
    db.session.commit()
    assert case.status is CaseStatus.REOPENED and case.body_id == other.id
    routed = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "routed"))
    assert routed.public and routed.detail == {"body": other.name, "appeal": True}
    assert case.respond_due_at > case.created_at
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.appeal_route")) is not None


def test_an_appeal_needs_a_reason_and_an_answered_case(make_case):
    with pytest.raises(DomainError):
        appeal_answer(make_case(CaseStatus.CLOSED), "   ")
    with pytest.raises(InvalidTransitionError):
        appeal_answer(make_case(CaseStatus.INVESTIGATING), "Not happy.")


FEEDBACK_IMPORT = re.compile(r"^from civicwatch\.([\w.]+) import [^\n]*\b(answer_available|rate_answer|appeal_answer)\b",
                             re.MULTILINE)


def test_intake_and_sms_take_rating_and_appeal_from_the_case_workflow():
    sources = [*(REPO / "civicwatch" / "intake").rglob("*.py"), *(REPO / "civicwatch" / "sms").rglob("*.py")]
    found = {(path.name, match.group(1)) for path in sources
             for match in FEEDBACK_IMPORT.finditer(path.read_text(encoding="utf-8"))}
    assert found and {module for _, module in found} == {"cases.feedback"}, found
