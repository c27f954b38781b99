"""The publication state machine, table-driven over every pair of statuses and every kind of person: the moves
in the table succeed for the right actor and are refused for anyone else, with a clear domain error (a 4xx
through the staff pages); pairs outside the table are always refused; only the workflow writes the status."""
from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import CaseStatus
from civicwatch.database import utcnow
from civicwatch.errors import InvalidTransitionError, PermissionDeniedError
from civicwatch.extensions import db
from civicwatch.publishing import permissions
from civicwatch.publishing.models import Publication, PublicationStatus
from civicwatch.publishing.workflow import TRANSITIONS, transition_publication
from tests.conftest import csrf_token

P = PublicationStatus
PAIRS = list(itertools.product(P, P))
REPO = Path(__file__).resolve().parents[2]
PUBLISHERS = {"author", "reviewer", "admin"}
PEOPLE = {"author": (Role.INVESTIGATOR, "police_oversight"), "reviewer": (Role.INVESTIGATOR, "police_oversight"),
          "admin": (Role.ADMIN, None), "triage": (Role.TRIAGE, None), "auditor": (Role.AUDITOR, None)}

# Who may make each move, written out here rather than read from the table it checks.
EXPECTED = {
    (P.DRAFT, P.AWAITING_APPROVAL): {"author"},
    (P.AWAITING_APPROVAL, P.DRAFT): {"author", "reviewer", "admin"},
    (P.AWAITING_APPROVAL, P.PUBLISHED): {"reviewer", "admin"},  # four eyes: never the author
    (P.PUBLISHED, P.SUPERSEDED): {"author", "reviewer", "admin"},
    (P.PUBLISHED, P.WITHDRAWN): {"author", "reviewer", "admin"},
}


def pair_id(pair: tuple[PublicationStatus, PublicationStatus]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


@pytest.fixture
def people(make_user):
    return {name: make_user(role, body=body) for name, (role, body) in PEOPLE.items()}


@pytest.fixture
def make_publication(new_case, people):
    """Version 1 of an answered case's public answer, stored directly in `status`, written by the author."""
    def factory(status: PublicationStatus) -> Publication:
        case = new_case(CaseStatus.CLOSED)
        now = utcnow()
        publication = Publication(
            case=case, version=1, status=status, author_id=people["author"].id, redactions=[], extra_terms=[],
            summary_source="Officers took money at the checkpoint.", summary="Officers took money at the checkpoint.",
            response_source="The officers were disciplined.", response="The officers were disciplined.",
            submitted_at=None if status is P.DRAFT else now)
        if status in (P.PUBLISHED, P.SUPERSEDED, P.WITHDRAWN):
            publication.approver_id, publication.published_at, publication.answered_at = people["reviewer"].id, now, now
            publication.body_id, publication.theme_id, publication.outcome = case.body_id, case.theme_id, case.outcome
        if status is P.WITHDRAWN:
            publication.withdrawn_at, publication.withdraw_reason = now, "Published too early."
        db.session.add(publication)
        db.session.commit()
        return publication

    return factory


def test_the_table_is_the_publishing_workflow():
    assert set(TRANSITIONS) == set(EXPECTED)


@pytest.mark.parametrize("source,target", PAIRS, ids=[pair_id(p) for p in PAIRS])
def test_every_pair_of_statuses_for_every_person(source, target, people, make_publication):
    allowed = EXPECTED.get((source, target), set())
    for name, user in people.items():
        publication = make_publication(source)
        if name in allowed:
            transition_publication(publication, target, user)
            db.session.commit()
            assert publication.status is target, name
            entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
            assert entry.action == f"publication.{TRANSITIONS[(source, target)].action}" and entry.user_id == user.id
            assert (entry.before["status"], entry.after["status"]) == (source.value, target.value)
            continue
        outside_the_table = (source, target) not in EXPECTED
        expected = InvalidTransitionError if outside_the_table and name in PUBLISHERS else PermissionDeniedError
        with pytest.raises(expected) as error:
            transition_publication(publication, target, user)
        if expected is InvalidTransitionError:
            assert error.value.message.startswith("Only ") and "this is" in error.value.message
        elif name not in PUBLISHERS:
            assert "cannot publish answers" in error.value.message
        db.session.rollback()
        assert db.session.get(Publication, publication.id).status is source, name


def test_the_author_cannot_approve_their_own_answer(people, make_publication):
    publication = make_publication(P.AWAITING_APPROVAL)
    with pytest.raises(PermissionDeniedError, match="second pair of eyes"):
        transition_publication(publication, P.PUBLISHED, people["author"])


PERMISSIONS = {
    (P.DRAFT, P.AWAITING_APPROVAL): permissions.may_edit,
    (P.AWAITING_APPROVAL, P.DRAFT): permissions.may_send_back,
    (P.AWAITING_APPROVAL, P.PUBLISHED): permissions.may_approve,
    (P.PUBLISHED, P.WITHDRAWN): permissions.may_withdraw,
}


@pytest.mark.parametrize("source", list(P), ids=[s.value for s in P])
def test_the_permissions_the_pages_show_follow_the_table(source, people, make_publication):
    publication = make_publication(source)
    for (start, target), may in PERMISSIONS.items():
        for name, user in people.items():
            assert may(user, publication) == (start is source and name in EXPECTED[(start, target)]), (
                may.__name__, name)


# ---------------------------------------------------------------- the same moves through the staff pages

def _post(browser, publication: Publication, target: PublicationStatus):
    url = f"/staff/publications/{publication.id}"
    data = {"csrf_token": csrf_token(browser, "/staff/"), "row_version": str(publication.row_version)}
    if target is P.AWAITING_APPROVAL:
        return browser.post(url, data={**data, "summary_source": publication.summary_source,
                                       "response_source": publication.response_source,
                                       "submit_for_approval": "Submit for approval"})
    if target is P.DRAFT:
        return browser.post(url + "/review", data={**data, "note": "Say when.", "send_back": "Send back"})
    if target is P.PUBLISHED:
        return browser.post(url + "/review", data={**data, "confirm": "y", "approve": "Approve and publish"})
    return browser.post(url + "/withdraw", data={**data, "reason": "Published before the family was told."})


HTTP_PAIRS = [(source, target) for source in P for target in (P.AWAITING_APPROVAL, P.DRAFT, P.PUBLISHED, P.WITHDRAWN)]


@pytest.mark.parametrize("source,target", HTTP_PAIRS, ids=[pair_id(p) for p in HTTP_PAIRS])
def test_every_pair_through_the_staff_pages(source, target, people, make_publication, browser_for):
    allowed = EXPECTED.get((source, target), set())
    browsers = {name: browser_for(user) for name, user in people.items()}
    for name, browser in browsers.items():
        publication = make_publication(source)
        response = _post(browser, publication, target)
        if name in allowed:
            expected = 302
        elif (source, target) not in EXPECTED and name in PUBLISHERS:
            expected = 409
        else:
            expected = 403
        assert response.status_code == expected, (name, response.get_data(as_text=True)[:400])
        db.session.expire_all()
        assert db.session.get(Publication, publication.id).status is (target if name in allowed else source), name


STATUS_WRITE = re.compile(r"\.status\s*=(?!=)")


def test_only_transition_publication_writes_the_status():
    offenders = []
    for path in (REPO / "civicwatch").rglob("*.py"):
        relative = path.relative_to(REPO).as_posix()
        if relative == "civicwatch/publishing/workflow.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if STATUS_WRITE.search(line) and ("publication" in line.lower() or relative.startswith(
                    "civicwatch/publishing/")):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
