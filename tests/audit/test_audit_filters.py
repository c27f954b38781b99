"""The audit log in plain words, filtered and paged, and never a way around who may see which case."""
from __future__ import annotations

import itertools
import re

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Recusal
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from tests.factories import create_case, staff_client


def references(html: str) -> set[str]:
    return set(re.findall(r"CW-\d{4}-\d{6}", html))


@pytest.fixture
def two_bodies(app, make_user):
    """A police case and a corruption case, each opened and noted by its body's investigator."""
    police = create_case("investigating", body="police_oversight")
    corruption = create_case("investigating", body="anti_corruption_commission")
    for case, body in ((police, "police_oversight"), (corruption, "anti_corruption_commission")):
        investigator = make_user(Role.INVESTIGATOR, body=body, name=f"Investigator of {body}")
        staff_client(app, investigator).get(f"/staff/cases/{case.id}")
    return police, corruption


def test_entries_read_in_plain_words_with_names(app, make_user, two_bodies):
    police, _ = two_bodies
    admin = make_user(Role.ADMIN, name="Adama Admin")
    html = staff_client(app, admin).get(f"/staff/audit/cases/{police.id}").get_data(as_text=True)
    assert "<strong>Opened the case</strong>" in html
    assert "Investigator of police_oversight" in html and police.reference in html
    html = staff_client(app, admin).get("/staff/audit/").get_data(as_text=True)
    assert "<strong>Signed in</strong>" in html


def test_filters_narrow_the_log(app, make_user, two_bodies):
    police, corruption = two_bodies
    client = staff_client(app, make_user(Role.AUDITOR))
    police_body = db.session.query(Body).filter_by(code="police_oversight").one()
    html = client.get(f"/staff/audit/?body={police_body.id}").get_data(as_text=True)
    assert police.reference in html and corruption.reference not in html
    assert "<strong>Signed in</strong>" not in html  # entries about no case are not any body's
    html = client.get("/staff/audit/?action=user.").get_data(as_text=True)
    assert "<strong>Signed in</strong>" in html and "<strong>Opened the case</strong>" not in html
    assert "No entries match" in client.get("/staff/audit/?since=2999-01-01").get_data(as_text=True)
    bad = client.get("/staff/audit/?action=case.nothing&since=yesterday")
    assert bad.status_code == 400 and "Choose from the options listed" in bad.get_data(as_text=True)
    assert "Choose from the options listed" not in client.get("/staff/audit/").get_data(as_text=True)


def test_no_filter_shows_a_case_the_reader_may_not_open(app, make_user, two_bodies):
    police, corruption = two_bodies
    auditor = make_user(Role.AUDITOR)
    db.session.add(Recusal(case_id=police.id, user_id=auditor.id, reason="My brother is the officer."))
    db.session.commit()
    client = staff_client(app, auditor)
    police_body = db.session.query(Body).filter_by(code="police_oversight").one()
    investigator = db.session.query(type(auditor)).filter_by(name="Investigator of police_oversight").one()
    queries = ["", f"body={police_body.id}", "action=case.", "action=case.view", f"user={investigator.id}",
               "since=2000-01-01", "until=2999-12-31", "before=999999", "after=0"]
    for query in ("&".join(pair) for pair in itertools.combinations(queries, 2)):
        html = client.get(f"/staff/audit/?{query}").get_data(as_text=True)
        assert police.reference not in html, query
    assert client.get(f"/staff/audit/?reference={police.reference}").status_code == 404
    assert client.get(f"/staff/audit/cases/{police.id}?body={police_body.id}").status_code == 404
    html = client.get(f"/staff/audit/users/{investigator.id}?action=case.view").get_data(as_text=True)
    assert police.reference not in html
    assert corruption.reference in client.get("/staff/audit/?action=case.view").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.TRIAGE])
def test_a_bodys_staff_cannot_read_the_log_through_any_filter(app, make_user, two_bodies, role):
    police, corruption = two_bodies
    client = staff_client(app, make_user(role))
    for path in ("/staff/audit/", "/staff/audit/?body=1", "/staff/audit/?action=case.",
                 f"/staff/audit/?reference={corruption.reference}", f"/staff/audit/cases/{corruption.id}",
                 "/staff/audit/users/1?action=case.view", "/staff/audit/?after=0"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert not references(response.get_data(as_text=True)), path
