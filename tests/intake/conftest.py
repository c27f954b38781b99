"""Helpers for the intake tests: a valid report, files with tell-tale metadata, a reported case."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus, Outcome
from civicwatch.cases.workflow import transition_case
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication
from civicwatch.publishing.operations import approve_publication, start_publication, submit_publication
from civicwatch.taxonomy.models import Body
from tests.conftest import csrf_token, csrf_token_from
from tests.factories import post_multipart, text_pdf

WHAT_HAPPENED = ("Two police officers at the Bo checkpoint took my motorbike and asked for 200,000 leones "
                 "to give it back. They gave no receipt.")
RECEIPT_RE = re.compile(r'id="receipt-code">(\d{4} \d{4} \d{4} \d{4})<')


def valid_report(**changes) -> dict:
    data = {"text": WHAT_HAPPENED, "incident_date": "", "area": "", "location_text": "",
            "contact_choice": "anonymous", "phone": "", "email": "", "consent": "y", "website": ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def post_report(client: FlaskClient, files: list[tuple[bytes, str]] | None = None, token: str | None = None,
                **changes):
    data = valid_report(**changes)
    data["csrf_token"] = token or csrf_token(client, "/report")
    return post_multipart(client, "/report", data, files)


@dataclass
class Reported:
    case: Case
    code: str
    reference: str


def report_and_read_receipt(client: FlaskClient, **changes) -> Reported:
    response = post_report(client, **changes)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get("/report/received").get_data(as_text=True)
    code = RECEIPT_RE.search(page).group(1)
    reference = re.search(r'class="reference">(CW-\d{4}-\d{6})<', page).group(1)
    case = db.session.query(Case).filter_by(reference=reference).one()
    return Reported(case, code, reference)


ANSWER_FINDINGS = "The investigation found that the officers kept the motorbike without a lawful reason."
ANSWER_RESPONSE = "The motorbike was returned and both officers were disciplined."


def answer_case(case: Case, investigator) -> None:
    """Take the case through the workflow to "responded", as its investigator would (committed)."""
    if case.body is None:
        case.body = db.session.query(Body).filter_by(code="police_oversight").one()
    case.outcome, case.findings, case.draft_public_response = Outcome.SUBSTANTIATED, ANSWER_FINDINGS, ANSWER_RESPONSE
    for target in (CaseStatus.ACKNOWLEDGED, CaseStatus.INVESTIGATING, CaseStatus.RESPONDED):
        transition_case(case, target, investigator)
    db.session.commit()


def publish_answer(case: Case, make_user) -> Publication:
    """Answer the case and publish its answer with the publishing operations: one investigator drafts
    and submits, another approves (four eyes)."""
    author = make_user(Role.INVESTIGATOR, body="police_oversight")
    approver = make_user(Role.INVESTIGATOR, body="police_oversight")
    answer_case(case, author)
    publication = start_publication(case, author)
    submit_publication(publication, author)
    approve_publication(publication, approver, confirmed=True)
    db.session.commit()
    return publication


@pytest.fixture
def reported(client: FlaskClient) -> Reported:
    return report_and_read_receipt(client)


def open_case(client: FlaskClient, code: str):
    token = csrf_token(client, "/track")
    return client.post("/track", data={"csrf_token": token, "code": code})


def case_page_token(client: FlaskClient) -> str:
    return csrf_token_from(client.get("/track/case").get_data(as_text=True))


PDF_BYTES = text_pdf()
