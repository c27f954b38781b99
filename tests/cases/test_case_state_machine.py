"""The state machine, table-driven over every pair of statuses, and its one writer of `case.status`."""
from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import CaseEvent, CaseStatus
from civicwatch.cases.workflow import ENDINGS, TRANSITIONS, transition_case
from civicwatch.errors import DomainError, InvalidTransitionError, PermissionDeniedError
from civicwatch.extensions import db

PAIRS = list(itertools.product(CaseStatus, CaseStatus))
REPO = Path(__file__).resolve().parents[2]


def test_the_table_covers_the_issue_workflow():
    main_line = ["received", "triaged", "acknowledged", "investigating", "responded", "closed"]
    for source, target in zip(main_line, main_line[1:], strict=False):
        assert (CaseStatus(source), CaseStatus(target)) in TRANSITIONS
    assert (CaseStatus.CLOSED, CaseStatus.REOPENED) in TRANSITIONS
    for ending in ENDINGS:
        assert any(target is ending for _, target in TRANSITIONS)


@pytest.mark.parametrize("source,target", PAIRS, ids=[f"{s.value}->{t.value}" for s, t in PAIRS])
def test_every_pair_of_statuses(source, target, make_case, make_user):
    case = make_case(source)
    transition = TRANSITIONS.get((source, target))
    role = sorted(transition.roles, key=lambda r: r.value)[0] if transition else Role.INVESTIGATOR
    user = make_user(role)
    if transition is None:
        with pytest.raises(InvalidTransitionError) as error:
            transition_case(case, target, user, reason="a reason")
        assert f"cannot become {target.value}" in error.value.message
        db.session.rollback()
        assert db.session.get(type(case), case.id).status is source
        return
    if target is CaseStatus.RESPONDED:
        case.outcome, case.findings = case.outcome or list(type(case).outcome.type.enum_class)[0], "Found."
    event = transition_case(case, target, user, reason="Because the facts say so.")
    db.session.commit()
    assert case.status is target
    assert (event.from_status, event.to_status, event.public) == (source.value, target.value, True)
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == f"case.{transition.action}" and entry.case_id == case.id and entry.user_id == user.id
    assert entry.before["status"] == source.value and entry.after["status"] == target.value
    if target in ENDINGS:
        assert case.closed_at is not None and case.status_reason == "Because the facts say so."
        assert event.detail["reason"] == "Because the facts say so."
    if target is CaseStatus.CLOSED:
        assert case.closed_at is not None
    if target is CaseStatus.REOPENED:
        assert case.closed_at is None and case.responded_at is None


@pytest.mark.parametrize("pair", list(TRANSITIONS), ids=[f"{s.value}->{t.value}" for s, t in TRANSITIONS])
def test_roles_outside_a_transition_are_refused(pair, make_case, make_user):
    source, target = pair
    for role in set(Role) - TRANSITIONS[pair].roles:
        case = make_case(source)
        with pytest.raises(PermissionDeniedError):
            transition_case(case, target, make_user(role), reason="a reason")
        db.session.rollback()


def test_only_complainant_transitions_work_without_a_user(make_case):
    for (source, target), transition in TRANSITIONS.items():
        case = make_case(source)
        if transition.by_complainant:
            transition_case(case, target, None, reason="I no longer wish to continue.")
            assert case.status is target
        else:
            with pytest.raises(PermissionDeniedError):
                transition_case(case, target, None, reason="x")
        db.session.rollback()


def test_conditions_are_explained(make_case, make_user):
    investigator = make_user(Role.INVESTIGATOR)
    case = make_case(CaseStatus.INVESTIGATING)
    with pytest.raises(InvalidTransitionError, match="Record the outcome and findings"):
        transition_case(case, CaseStatus.RESPONDED, investigator)
    db.session.rollback()
    case = make_case(CaseStatus.TRIAGED)
    with pytest.raises(DomainError, match="Give a reason") as missing:  # a mistake in the form, not a conflict
        transition_case(case, CaseStatus.REJECTED, investigator, reason="   ")
    assert missing.value.status == 400
    db.session.rollback()
    unrouted = make_case(CaseStatus.RECEIVED, body=None)
    with pytest.raises(InvalidTransitionError, match="Route the case"):
        transition_case(unrouted, CaseStatus.TRIAGED, make_user(Role.TRIAGE))


def test_acknowledging_records_the_time_and_a_public_event(make_case, make_user):
    case = make_case(CaseStatus.TRIAGED)
    transition_case(case, CaseStatus.ACKNOWLEDGED, make_user(Role.INVESTIGATOR))
    db.session.commit()
    assert case.acknowledged_at is not None
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "status"))
    assert [(e.to_status, e.public) for e in events] == [("acknowledged", True)]


STATUS_WRITE = re.compile(r"\.status\s*=(?!=)")


def test_only_transition_case_writes_case_status():
    """Rows built with a status (demo data, intake's RECEIVED) are fine; assigning it later is not."""
    offenders = []
    for path in (REPO / "civicwatch").rglob("*.py"):
        relative = path.relative_to(REPO).as_posix()
        if relative in ("civicwatch/cases/workflow.py", "civicwatch/demo/operations.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if STATUS_WRITE.search(line) and "case" in line.lower() and "message" not in line.lower():
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
