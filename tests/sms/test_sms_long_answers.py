"""A long answer or reason reaches the complainant whole: Twilio refuses a text longer than 1,600 characters
(error 21617), and no retry changes that. Twilio is mocked only at its HTTP boundary."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus, Outcome
from civicwatch.cases.operations import change_status
from civicwatch.cases.workflow import transition_case
from civicwatch.extensions import db
from civicwatch.messaging.delivery import deliver_due_messages
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.messaging.senders import TwilioSender
from civicwatch.taxonomy.models import Body
from tests.messaging.recording_twilio import ACCOUNT_SID, AUTH_TOKEN, BODY_LIMIT, FROM_NUMBER, RecordingHttpClient
from tests.sms.conftest import PHONE
from tests.sms.test_sms_conversation import REPORT, cases, opened

# 1,600 characters, the most the response form takes; words of several lengths, so that no cut falls evenly.
RESPONSE = " ".join(f"Finding {n}: the station log for that night was checked against the witnesses."
                    for n in range(1, 40))[:1600].rstrip()
REASON = " ".join(f"Point {n}: the events happened outside the oversight office's mandate and period."
                  for n in range(1, 40))[:2000].rstrip()


def investigating_case(text, make_user) -> tuple[Case, object]:
    opened(text(REPORT))
    (case,) = cases()
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    case.body = db.session.query(Body).filter_by(code="police_oversight").one()
    for target in (CaseStatus.ACKNOWLEDGED, CaseStatus.INVESTIGATING):
        transition_case(case, target, investigator)
    db.session.commit()
    return case, investigator


def deliver_all(clock) -> RecordingHttpClient:
    """The worker over Twilio, run until nothing is left or the messages gave up (two days of retries)."""
    http = RecordingHttpClient()
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http)
    for _ in range(60):
        deliver_due_messages(sender, "worker-1")
        clock.advance(hours=1)
    return http


def case_texts(case: Case) -> list[OutboundMessage]:
    return list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.case_id == case.id)
                                   .order_by(OutboundMessage.id)))


def words_received(http: RecordingHttpClient) -> str:
    bodies = [request.data["Body"] for request in http.accepted if request.data["To"] == PHONE]
    assert all(len(body) <= BODY_LIMIT for body in bodies)
    return " ".join(bodies)


def test_a_response_of_the_longest_the_form_takes_reaches_the_complainant_whole(text, clock, make_user):
    case, investigator = investigating_case(text, make_user)
    case.outcome, case.findings = Outcome.SUBSTANTIATED, "The officer is warned."
    change_status(case, investigator, CaseStatus.RESPONDED, response=RESPONSE)
    db.session.commit()
    http = deliver_all(clock)
    assert all(message.status is OutboxStatus.SENT for message in case_texts(case))
    received = words_received(http)
    assert RESPONSE in received.replace("  ", " ")
    assert received.count("Finding 1:") == 1  # nothing sent twice


def test_a_long_rejection_reason_reaches_the_complainant_whole(text, clock, make_user):
    case, investigator = investigating_case(text, make_user)
    change_status(case, investigator, CaseStatus.REJECTED, reason=REASON)
    db.session.commit()
    http = deliver_all(clock)
    assert all(message.status is OutboxStatus.SENT for message in case_texts(case))
    assert REASON in words_received(http)
