"""The dashboard's figures: each one counted right, and only over the cases the signed-in person may see."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.counts import refresh_dashboard_medians
from civicwatch.cases.models import CaseStatus, Recusal
from civicwatch.database import utcnow
from civicwatch.extensions import db

STAT = re.compile(r'<span class="stat">([^<]+)</span>\s*([^<(]+?)\s*(?:<|$)')
STATUS_ROW = re.compile(r'status=(\w+)[^>]*>[^<]*</a></td><td>(\d+)</td>')
TAB = re.compile(r'queue=(\w+)"[^>]*>[^<]*<span class="count">(\d+)</span>')
A, B = "police_oversight", "anti_corruption_commission"


def figures(client, path: str = "/staff/") -> dict[str, str]:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    found = {label: value for value, label in STAT.findall(html)}
    found |= {f"status {status}": count for status, count in STATUS_ROW.findall(html)}
    return found | {f"tab {queue}": count for queue, count in TAB.findall(html)}


@pytest.fixture
def two_bodies(clock, make_case, make_user):
    """Body A with a little of everything, body B with more of each, and one case no body holds yet."""
    now = utcnow()
    investigator = make_user(Role.INVESTIGATOR, body=A)
    make_case(CaseStatus.TRIAGED, body=A, created_at=now - dt.timedelta(days=10))  # acknowledgement overdue
    make_case(CaseStatus.ACKNOWLEDGED, body=A, urgent=True, assigned_to=investigator)
    make_case(CaseStatus.RESPONDED, body=A)
    make_case(CaseStatus.CLOSED, body=A, created_at=now - dt.timedelta(days=4))
    recused = make_case(CaseStatus.INVESTIGATING, body=A, urgent=True, created_at=now - dt.timedelta(days=5))
    db.session.add(Recusal(case_id=recused.id, user_id=investigator.id, reason="My cousin is the officer."))
    for _ in range(3):
        make_case(CaseStatus.INVESTIGATING, body=B, created_at=now - dt.timedelta(days=200))
    for _ in range(2):
        make_case(CaseStatus.ACKNOWLEDGED, body=B, urgent=True, created_at=now - dt.timedelta(days=2))
    for _ in range(2):
        make_case(CaseStatus.RESPONDED, body=B)
    make_case(CaseStatus.REOPENED, body=B, created_at=now - dt.timedelta(days=30))
    make_case(CaseStatus.CLOSED, body=B, created_at=now - dt.timedelta(days=20))
    make_case(CaseStatus.RECEIVED, body=None)
    db.session.commit()
    return investigator


BODY_A = {"overdue": "1", "urgent and open": "1", "answered, awaiting closure": "1", "status triaged": "1",
          "status acknowledged": "1", "status investigating": "0", "status received": "0", "status reopened": "0",
          "tab body": "3", "tab mine": "1", "tab urgent": "1", "tab overdue": "1"}
BODY_B = {"overdue": "3", "urgent and open": "2", "answered, awaiting closure": "2", "status triaged": "0",
          "status acknowledged": "2", "status investigating": "3", "status received": "0", "status reopened": "1"}


def assert_figures(found: dict[str, str], expected: dict[str, str]) -> None:
    assert {label: found.get(label) for label in expected} == expected


def test_an_investigator_sees_only_their_bodys_figures(two_bodies, signed_in):
    client = signed_in(two_bodies)
    assert_figures(figures(client), BODY_A)
    # Asking for body B's figures by name changes nothing: an investigator's dashboard is their own body's.
    assert_figures(figures(client, f"/staff/?body={B}"), BODY_A)
    assert "in the triage queue" not in figures(client)
    # The recused case (body A, urgent, investigating) is left out of the recused person's figures.


def test_figures_for_one_body_and_for_every_body(two_bodies, make_user, signed_in):
    admin = signed_in(make_user(Role.ADMIN))
    assert_figures(figures(admin, f"/staff/?body={B}"), BODY_B)
    everyone = figures(admin)
    assert_figures(everyone, {"overdue": "4", "urgent and open": "4", "answered, awaiting closure": "3",
                              "in the triage queue": "1", "status received": "1", "status investigating": "4",
                              "tab triage": "1", "tab urgent": "4", "tab overdue": "4", "tab open": "13"})
    # The quarter's closures, one in each body, as the worker last computed them.
    refresh_dashboard_medians()
    db.session.commit()
    assert re.search(r"\(2 closed\)", admin.get("/staff/").get_data(as_text=True))
    assert re.search(r"\(1 closed\)", admin.get(f"/staff/?body={B}").get_data(as_text=True))


FIGURE_LINK = re.compile(r'<a href="([^"]+)"><span class="stat">(\d+)</span>')
STATUS_LINK = re.compile(r'<a href="([^"]+)">[^<]*</a></td><td>(\d+)</td>')
LISTED = re.compile(r"of (\d+) cases")


def listed_total(client, url: str) -> int:
    response = client.get(url.replace("&amp;", "&"))
    assert response.status_code == 200, url
    found = LISTED.search(response.get_data(as_text=True))
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("who", ["admin, every body", "admin, one body", "investigator"])
def test_each_figure_links_to_a_list_of_as_many_cases(two_bodies, make_user, signed_in, who):
    client = signed_in(two_bodies if who == "investigator" else make_user(Role.ADMIN))
    html = client.get(f"/staff/?body={A}" if who == "admin, one body" else "/staff/").get_data(as_text=True)
    links = FIGURE_LINK.findall(html) + STATUS_LINK.findall(html)
    assert len(links) >= 7
    assert {url: listed_total(client, url) for url, _ in links} == {url: int(count) for url, count in links}
