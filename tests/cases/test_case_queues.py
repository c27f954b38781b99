"""Queues: who sees what, filters, full-text search kept in step with the text, order, pagination, flags."""
from __future__ import annotations

import datetime as dt
import re

from civicwatch.accounts.models import Role
from civicwatch.cases.counts import refresh_dashboard_medians
from civicwatch.cases.models import CaseStatus
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Region
from tests.cases.conftest import fresh

REF = re.compile(r'class="case-ref" href="/staff/cases/(\d+)"')


def listed(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return [int(i) for i in REF.findall(response.get_data(as_text=True))]


def test_triage_queue_holds_open_cases_without_a_body(make_case, make_user, signed_in):
    waiting = make_case(CaseStatus.RECEIVED, body=None)
    routed = make_case(CaseStatus.TRIAGED)
    rejected = make_case(CaseStatus.REJECTED, body=None)
    client = signed_in(make_user(Role.TRIAGE))
    assert listed(client, "/staff/cases") == [waiting.id]
    assert set(listed(client, "/staff/cases?queue=all")) == {waiting.id, routed.id, rejected.id}


def test_investigators_see_only_their_body(make_case, make_user, signed_in):
    own = make_case(CaseStatus.INVESTIGATING, body="police_oversight", text="Beaten at the police post.")
    other = make_case(CaseStatus.INVESTIGATING, body="anti_corruption_commission", text="Beaten for a bribe.")
    client = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert listed(client, "/staff/cases") == [own.id]
    assert listed(client, "/staff/cases?queue=all&q=beaten") == [own.id]
    assert listed(client, f"/staff/cases?queue=all&q={other.reference}") == []
    assert client.get(f"/staff/cases/{other.id}").status_code == 404
    assert client.get("/staff/cases?queue=triage").status_code == 404


def test_urgent_first_then_nearest_deadline(make_case, make_user, signed_in, clock):
    now = utcnow()
    later = make_case(CaseStatus.TRIAGED, created_at=now - dt.timedelta(hours=1))
    sooner = make_case(CaseStatus.TRIAGED, created_at=now - dt.timedelta(hours=30))
    urgent = make_case(CaseStatus.TRIAGED, urgent=True, created_at=now - dt.timedelta(minutes=5))
    acknowledged = make_case(CaseStatus.INVESTIGATING, created_at=now - dt.timedelta(days=70))
    client = signed_in(make_user(Role.INVESTIGATOR))
    # Received 70 days ago: its answer is due in 60 working days, in two weeks, after the two acknowledgements.
    assert listed(client, "/staff/cases") == [urgent.id, sooner.id, later.id, acknowledged.id]


def test_overdue_is_flagged_and_queued_but_not_while_waiting(make_case, make_user, signed_in, clock):
    old = utcnow() - dt.timedelta(days=10)  # past the law's 7 days to acknowledge
    overdue = make_case(CaseStatus.TRIAGED, created_at=old)
    waiting = make_case(CaseStatus.TRIAGED, created_at=old, waiting_since=utcnow() - dt.timedelta(days=4))
    closed = make_case(CaseStatus.CLOSED, created_at=old - dt.timedelta(days=200))
    make_case(CaseStatus.TRIAGED)
    client = signed_in(make_user(Role.INVESTIGATOR))
    assert listed(client, "/staff/cases?queue=overdue") == [overdue.id]
    page = client.get("/staff/cases").get_data(as_text=True)
    assert page.count('class="badge overdue"') == 1 and "Waiting for complainant" in page
    assert closed.id not in listed(client, "/staff/cases")
    detail = client.get(f"/staff/cases/{overdue.id}").get_data(as_text=True)
    assert 'class="badge overdue"' in detail and "ago" in detail
    assert 'class="badge overdue"' not in client.get(f"/staff/cases/{waiting.id}").get_data(as_text=True)
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert re.search(r'<span class="stat">1</span> overdue', dashboard)


def test_filters(make_case, make_user, signed_in, clock):
    eastern = db.session.query(Region).filter_by(code="eastern").one()
    in_east = make_case(CaseStatus.TRIAGED, region_id=eastern.id, theme="corruption")
    make_case(CaseStatus.TRIAGED, theme="misconduct")
    urgent = make_case(CaseStatus.ACKNOWLEDGED, urgent=True)
    old = make_case(CaseStatus.TRIAGED, created_at=utcnow() - dt.timedelta(days=40))
    client = signed_in(make_user(Role.ADMIN))
    assert listed(client, "/staff/cases?queue=open&region=eastern") == [in_east.id]
    assert listed(client, "/staff/cases?queue=open&theme=corruption") == [in_east.id]
    assert listed(client, "/staff/cases?queue=open&urgency=urgent") == [urgent.id]
    assert listed(client, "/staff/cases?queue=open&status=acknowledged") == [urgent.id]
    day = (utcnow() - dt.timedelta(days=40)).date().isoformat()
    assert listed(client, f"/staff/cases?queue=open&received_from={day}&received_to={day}") == [old.id]
    assert client.get("/staff/cases?queue=open&received_from=not-a-date").status_code == 200


def test_search_follows_the_text_and_ignores_operators(make_case, make_user, signed_in):
    case = make_case(CaseStatus.TRIAGED, text="Soldiers at the Kenema checkpoint took my phone.")
    make_case(CaseStatus.TRIAGED, text="Nobody came when we called the station.")
    client = signed_in(make_user(Role.TRIAGE))
    assert listed(client, "/staff/cases?queue=all&q=kenema+checkpoint") == [case.id]
    assert listed(client, "/staff/cases?queue=all&q=kenema+station") == []
    assert listed(client, '/staff/cases?queue=all&q="kenema" (checkpoint* - ^') == [case.id]
    case = fresh(case)
    case.text = "Police officers in Makeni kept my brother for nine days."
    db.session.commit()
    assert listed(client, "/staff/cases?queue=all&q=kenema") == []
    assert listed(client, "/staff/cases?queue=all&q=makeni") == [case.id]
    assert listed(client, f"/staff/cases?queue=all&q={case.reference.lower()}") == [case.id]


def test_pagination(make_case, make_user, signed_in):
    cases = [make_case(CaseStatus.TRIAGED) for _ in range(27)]
    client = signed_in(make_user(Role.INVESTIGATOR))
    first, second = listed(client, "/staff/cases"), listed(client, "/staff/cases?page=2")
    assert len(first) == 25 and len(second) == 2
    assert set(first + second) == {c.id for c in cases}
    page = client.get("/staff/cases?page=2").get_data(as_text=True)
    assert "Showing 26–27 of 27 cases" in page and 'rel="prev"' in page
    assert listed(client, "/staff/cases?page=99") == second


def test_dashboard_figures_per_body(clock, make_case, make_user, signed_in):
    now = utcnow()
    make_case(CaseStatus.ACKNOWLEDGED, acknowledged_at=now - dt.timedelta(hours=1), created_at=now - dt.timedelta(days=2, hours=1))
    make_case(CaseStatus.ACKNOWLEDGED, acknowledged_at=now - dt.timedelta(hours=1), created_at=now - dt.timedelta(days=4, hours=1))
    make_case(CaseStatus.CLOSED, closed_at=now - dt.timedelta(hours=1), created_at=now - dt.timedelta(days=10, hours=1))
    make_case(CaseStatus.TRIAGED, body="anti_corruption_commission")
    client = signed_in(make_user(Role.INVESTIGATOR))
    # No request takes a median: until the worker has computed them, the page says so.
    assert "The medians are not computed yet" in client.get("/staff/").get_data(as_text=True)
    refresh_dashboard_medians()
    db.session.commit()
    page = client.get("/staff/").get_data(as_text=True)
    assert "Medians as of 12 Mar 2026, 09:00 UTC." in page
    # Acknowledged after 2 days, 4 days, and (the closed case) half an hour: the median is 2 days.
    assert re.search(r'<span class="stat">2\.0</span>\s*median days to acknowledge', page)
    assert re.search(r'<span class="stat">10\.0</span>\s*median days to close', page)
    admin = signed_in(make_user(Role.ADMIN))
    everyone = admin.get("/staff/").get_data(as_text=True)
    one_body = admin.get("/staff/?body=anti_corruption_commission").get_data(as_text=True)
    assert "Anti-Corruption Commission" in one_body and one_body != everyone
