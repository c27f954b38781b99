"""The public retaliation watch counts the check-ins asked while cases are open, and the answers to them that
reported retaliation, with those after closure: as of the statistics' last publication (a check-in asked or
answered this morning waits for the next one), and under the same protection of small numbers (people, not
answers). Asked by the deliver worker's job and answered on the follow-up page's operation, on a real database."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case, CaseStatus, Channel, RetaliationCheckIn
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.intake.retaliation import answer_check_in
from civicwatch.sms.operations import ask_due_check_ins
from tests.factories import create_case

MORNING = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC)
NEXT_DAY = dt.datetime(2026, 3, 13, 0, 1, tzinfo=dt.UTC)


@pytest.fixture
def app_config(app_config):
    app_config["STATISTICS_PUBLISHED"] = "daily"
    return app_config


def published(client) -> tuple[str, str]:
    html = client.get("/transparency").get_data(as_text=True)
    return (re.search(r'class="retaliation-check-ins">([^<]*)<', html).group(1),
            re.search(r'class="retaliation-reported">([^<]*)<', html).group(1))


def investigated(count: int) -> list[Case]:
    """Cases under investigation whose complainants feared retaliation, acknowledged 14 days before MORNING."""
    acknowledged = MORNING - dt.timedelta(days=14, hours=1)
    return [create_case(CaseStatus.INVESTIGATING, fears_retaliation=True, created_at=acknowledged,
                        stamped_after={"acknowledged_at": dt.timedelta(0)}) for _ in range(count)]


def ask() -> int:
    asked = ask_due_check_ins(utcnow())
    db.session.commit()
    return asked


def answer_yes(case: Case) -> None:
    check_in = db.session.scalar(select(RetaliationCheckIn).where(RetaliationCheckIn.case_id == case.id))
    answer_check_in(check_in, True, None, Channel.WEB)
    db.session.commit()


def test_check_ins_while_open_are_counted_from_the_next_publication(client, app, clock):
    clock.now = MORNING
    cases = investigated(6)
    assert published(client) == ("fewer than 5", "fewer than 5")  # this morning's publication: none yet
    clock.advance(minutes=10)
    assert ask() == 6
    for case in cases[:5]:
        answer_yes(case)
    clock.advance(hours=3)
    # Asked and answered since this morning's publication: the figures wait for the next one.
    assert published(client) == ("fewer than 5", "fewer than 5")
    clock.now = NEXT_DAY
    assert published(client) == ("6", "5")
    assert db.session.scalar(select(Case.urgent).where(Case.id == cases[0].id)) is True


def test_few_people_asked_while_open_are_shown_as_fewer_than_the_threshold(client, app, clock):
    """Two people asked three times each while their cases stayed open: six check-ins, but two people."""
    clock.now = MORNING
    cases = investigated(2)
    for _ in range(3):
        assert ask() == 2
        clock.advance(days=30)
    assert db.session.query(RetaliationCheckIn).count() == 6
    answer_yes(cases[0])
    clock.advance(days=1)
    assert published(client) == ("fewer than 5", "fewer than 5")
