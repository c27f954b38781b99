"""What staff wrote about an erased case goes with it (a recusal's reason, a lifted legal hold's reasons); its
timeline keeps which body it went to."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from civicwatch.cases.models import Case, CaseEvent, CaseMessage, CaseStatus, Recusal
from civicwatch.cases.operations import recuse_from_case
from civicwatch.cases.references import new_receipt_code, receipt_hash
from civicwatch.extensions import db
from civicwatch.retention.models import LegalHold
from civicwatch.retention.operations import lift_hold, place_hold
from tests.conftest import csrf_token, csrf_token_from
from tests.retention.conftest import personal_case, run_cli, schedule


def erase(app, clock) -> None:
    schedule(CaseStatus.CLOSED, 6)
    clock.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    code, output = run_cli(app, "retention", "apply")
    assert code == 0 and "1 case" in output, output


def test_erasure_removes_the_reason_of_a_recusal(app, clock, staff):
    case = personal_case(staff)
    recuse_from_case(case, staff.investigator, "Zebulon Quartermaine is my cousin; I cannot investigate his case")
    db.session.commit()
    erase(app, clock)
    assert db.session.get(Case, case.id).text == ""
    reasons = db.session.scalars(select(Recusal.reason).where(Recusal.case_id == case.id)).all()
    assert reasons == [""]


def test_erasure_removes_the_reasons_of_a_lifted_legal_hold_and_keeps_the_hold(app, clock, staff):
    case = personal_case(staff)
    place_hold(staff.admin, case, "Zebulon Quartermaine's lawyer sued the police station; keep everything")
    db.session.commit()
    lift_hold(staff.admin, case, "Quartermaine v. Police settled; Zebulon withdrew the claim")
    db.session.commit()
    erase(app, clock)
    holds = db.session.execute(select(LegalHold.reason, LegalHold.lift_reason, LegalHold.lifted_at)
                               .where(LegalHold.case_id == case.id)).all()
    assert [(reason, lift_reason) for reason, lift_reason, _ in holds] == [("", None)]
    assert holds[0][2] is not None  # still on record as held, then lifted


def test_the_erased_case_s_timeline_still_names_the_body_it_went_to(app, clock, staff):
    case = personal_case(staff)
    db.session.add(CaseEvent(case=case, kind="routed", public=True, created_at=case.created_at,
                             detail={"body": "Independent Police Complaints Board", "reason": "Zebulon's brother"}))
    db.session.commit()
    erase(app, clock)
    routed = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "routed"))
    assert routed.detail == {"body": "Independent Police Complaints Board"}


def test_a_follow_up_page_open_during_the_erasure_is_closed(app, client, clock, staff):
    case = personal_case(staff)
    code = new_receipt_code()
    case.receipt_hash = receipt_hash(code)
    db.session.commit()
    assert client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "code": code}).status_code == 303
    token = csrf_token_from(client.get("/track/case").get_data(as_text=True))
    erase(app, clock)
    reply = client.post("/track/case/reply", data={"csrf_token": token, "text": "I am Zebulon, call 076 555 123."})
    # The code is asked for again (what was typed comes back to this browser only, unsent); nothing is stored.
    assert reply.status_code == 200 and "Enter your receipt code again" in reply.get_data(as_text=True)
    assert db.session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id)).all() == []


def test_an_erased_case_s_follow_up_page_reads_but_takes_nothing(app, client, clock, staff):
    case = personal_case(staff)
    code = new_receipt_code()
    case.receipt_hash = receipt_hash(code)
    db.session.commit()
    erase(app, clock)
    assert client.post("/track", data={"csrf_token": csrf_token(client, "/track"), "code": code}).status_code == 303
    page = client.get("/track/case").get_data(as_text=True)
    assert "were erased at the end of the time we keep them" in page and 'action="/track/case/reply"' not in page
    token = csrf_token_from(page)
    reply = client.post("/track/case/reply", data={"csrf_token": token, "text": "I am Zebulon, call 076 555 123."})
    assert reply.status_code == 409
    assert db.session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id)).all() == []
