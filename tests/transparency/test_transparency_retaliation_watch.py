"""The public count of retaliation check-ins and of retaliation reported, protected like every count: from 1 to
threshold - 1 it is shown as "fewer than <threshold>", never as the number."""
from __future__ import annotations

import re

from civicwatch.cases.models import CaseStatus, RetaliationCheckIn
from civicwatch.extensions import db
from civicwatch.messaging.operations import record_opt_out
from civicwatch.phones import phone_hash
from tests.factories import create_case


def add_check_ins(cases: int, reported: int, rounds: tuple[int, ...] = (30, 90)) -> None:
    for _ in range(cases):
        case = create_case(CaseStatus.CLOSED, fears_retaliation=True)
        for days in rounds:
            told = reported > 0
            reported -= told
            db.session.add(RetaliationCheckIn(case_id=case.id, round_days=days, retaliation_reported=told))
    db.session.commit()


def published(client) -> tuple[str, str]:
    html = client.get("/transparency").get_data(as_text=True)
    sent = re.search(r'class="retaliation-check-ins">([^<]*)<', html).group(1)
    reported = re.search(r'class="retaliation-reported">([^<]*)<', html).group(1)
    return sent, reported


def test_small_counts_are_suppressed(client, app, clock):
    add_check_ins(cases=1, reported=1)
    assert published(client) == ("fewer than 5", "fewer than 5")


def test_counts_above_the_threshold_are_shown_and_small_ones_still_hidden(client, app, clock):
    add_check_ins(cases=5, reported=2)
    assert published(client) == ("10", "fewer than 5")
    add_check_ins(cases=5, reported=5, rounds=(30,))  # 7 answers of 6 people
    assert published(client) == ("15", "7")


def test_check_ins_for_a_number_that_texted_stop_are_not_counted_unless_answered(client, app, clock):
    add_check_ins(cases=4, reported=0)  # eight asked on the follow-up page
    for number in range(3):
        phone = f"+2327655520{number}"
        case = create_case(CaseStatus.CLOSED, phone=phone, fears_retaliation=True)
        record_opt_out(phone_hash(phone), "keyword")
        answered = {"answered_at": clock.now, "retaliation_reported": False} if number == 0 else {}
        db.session.add(RetaliationCheckIn(case_id=case.id, round_days=30, **answered))
    db.session.commit()
    assert published(client)[0] == "9"  # the one answered on the follow-up page reached its complainant


def test_three_people_answering_both_rounds_are_not_counted_as_six(client, app, clock):
    """Each complainant is asked twice (30 and 90 days after closure). Three people who reported retaliation both
    times gave six answers: published as "6", the page told that at least three people reported retaliation,
    fewer than the threshold the public figures promise. What is counted is answers; what is protected is people."""
    add_check_ins(cases=3, reported=6)
    assert published(client) == ("fewer than 5", "fewer than 5")
