"""Allegations: stored on both databases, added and edited on the case page (audited, the case's access rules),
one made for every new case by routing and for every existing case by the migration."""
from __future__ import annotations

import datetime as dt
import re

from flask_migrate import upgrade
from sqlalchemy import select, text

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseStatus, Outcome
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation
from civicwatch.routing.operations import route_new_case
from civicwatch.taxonomy.models import Actor, District, Theme
from tests.cases.conftest import post_case_form
from tests.conftest import csrf_token_from
from tests.factories import post_multipart
from tests.intake.conftest import valid_report


def allegations(case_id: int) -> list[Allegation]:
    db.session.expire_all()
    return list(db.session.scalars(select(Allegation).where(Allegation.case_id == case_id).order_by(Allegation.id)))


def ids(model, code: str) -> str:
    return str(db.session.query(model).filter_by(code=code).one().id)


def test_staff_add_and_edit_allegations_on_the_case_page(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING)
    client = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    response = post_case_form(client, case.id, "allegations", "allegation-new", theme=ids(Theme, "abuse_of_force"),
                              victim="a bus driver", actor=ids(Actor, "police"), subject="", region="",
                              district=ids(District, "bo"), location_text="Bo Junction checkpoint",
                              incident_date="2026-03-01", finding="", remedy="")
    assert response.status_code == 302
    [added] = allegations(case.id)
    assert (added.theme.code, added.actor.code, added.district.code, added.region.code) == (
        "abuse_of_force", "police", "bo", added.district.region.code)
    assert added.victim == "a bus driver" and added.incident_date == dt.date(2026, 3, 1)
    page = client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "a bus driver" in page and "Edit this allegation" in page

    response = post_case_form(client, case.id, f"allegations/{added.id}", f"allegation-{added.id}",
                              theme=ids(Theme, "abuse_of_force"), actor=ids(Actor, "police"), subject="", region="",
                              district="", finding="substantiated", remedy="Apology and compensation.")
    assert response.status_code == 302
    [edited] = allegations(case.id)
    assert edited.finding is Outcome.SUBSTANTIATED and edited.remedy == "Apology and compensation."
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id,
                                                               AuditEntry.action.like("allegation.%"))))
    assert [e.action for e in entries] == ["allegation.add", "allegation.update"]
    assert entries[1].after["finding"] == "substantiated"
    assert "bus driver" not in str(entries[0].after)  # free text only as a fingerprint


def test_bad_allegation_input_is_a_400_with_the_form_back(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING)
    client = signed_in(make_user(Role.TRIAGE))
    response = post_case_form(client, case.id, "allegations", "allegation-new", theme="", actor="", subject="", region="",
                              district="", finding="", incident_date="2099-01-01")
    assert response.status_code == 400
    assert "cannot be in the future" in response.get_data(as_text=True)
    response = post_case_form(client, case.id, "allegations", "allegation-new", theme="not-a-theme", actor="",
                              subject="", region="", district="", finding="")
    assert response.status_code == 400
    assert allegations(case.id) == []


def test_an_allegation_of_another_case_is_not_found(make_case, make_user, signed_in):
    case, other = make_case(CaseStatus.INVESTIGATING), make_case(CaseStatus.INVESTIGATING)
    theirs = Allegation(case=other)
    db.session.add(theirs)
    db.session.commit()
    client = signed_in(make_user(Role.ADMIN))
    response = post_case_form(client, case.id, f"allegations/{theirs.id}", f"allegation-{theirs.id}", theme="",
                              actor="", subject="", region="", district="", finding="unfounded")
    assert response.status_code == 404
    assert allegations(other.id)[0].finding is None


def test_a_closed_case_s_allegations_cannot_change(make_case, make_user, signed_in):
    case = make_case(CaseStatus.CLOSED)
    client = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    response = post_case_form(client, case.id, "allegations", "allegation-new", theme="", actor="", subject="", region="",
                              district="", finding="")
    assert response.status_code == 409
    assert "Add an allegation" not in client.get(f"/staff/cases/{case.id}").get_data(as_text=True)


def test_routing_a_new_case_gives_it_its_first_allegation(app, make_case, clock):
    district = db.session.query(District).filter_by(code="bo").one()
    case = make_case(CaseStatus.RECEIVED, body=None, district=district, location_text="Bo Junction",
                     created_at=clock.now)
    route_new_case(case)
    db.session.commit()
    route_new_case(case)  # routed once only, and one first allegation only
    db.session.commit()
    [first] = allegations(case.id)
    assert first.district.code == "bo" and first.location_text == "Bo Junction"
    assert first.incident_date == clock.now.date() and first.theme_id == case.theme_id
    assert first.incident_date_assumed  # the complainant gave no date


def test_a_received_day_taken_for_a_missing_date_is_never_shown_as_a_date_given(make_case, make_user, signed_in,
                                                                                 clock):
    case = make_case(CaseStatus.INVESTIGATING, created_at=clock.now)
    route_new_case(case)
    db.session.commit()
    [first] = allegations(case.id)
    client = signed_in(make_user(Role.ADMIN))
    page = " ".join(client.get(f"/staff/cases/{case.id}").get_data(as_text=True).split())
    assert "received on 12 Mar 2026 (no date given)" in page and "on 12 Mar 2026 ·" not in page
    form = re.search(rf'name="allegation-{first.id}-incident_date"[^>]*>', page).group(0)
    assert 'value="2026-03-12"' not in form  # the edit form does not offer it as a date to confirm

    def save(date: str):
        return post_case_form(client, case.id, f"allegations/{first.id}", f"allegation-{first.id}", theme="",
                              actor="", subject="", region="", district="", finding="unfounded", incident_date=date)

    assert save("").status_code == 302  # saved with the date left empty: still the received day, still assumed
    [kept] = allegations(case.id)
    assert kept.finding is Outcome.UNFOUNDED and kept.incident_date == clock.now.date() and kept.incident_date_assumed
    assert save("2026-03-02").status_code == 302  # a date someone gave
    [given] = allegations(case.id)
    assert given.incident_date == dt.date(2026, 3, 2) and not given.incident_date_assumed
    page = " ".join(client.get(f"/staff/cases/{case.id}").get_data(as_text=True).split())
    assert "on 02 Mar 2026" in page and "no date given" not in page


def test_the_migration_gives_every_existing_case_one_allegation(empty_app):
    upgrade(revision="b3e6f1a2c9d4")
    db.session.execute(text(
        "INSERT INTO themes (id, code, name, covers, not_this, active) VALUES (1, 'extortion', 'Extortion', '', "
        "'', true)"))
    for number, (theme, outcome, incident) in enumerate(
            [(1, "substantiated", "2026-02-01"), (None, None, None)], start=1):
        db.session.execute(text(
            "INSERT INTO cases (id, reference, receipt_hash, text, channel, status, theme_id, urgent, "
            "routed_by_hand, updated_at, created_at, version, outcome, incident_date) VALUES (:id, :ref, :hash, "
            "'text', 'web', 'received', :theme, false, false, :at, :at, 1, :outcome, :incident)"),
            {"id": number, "ref": f"CW-2026-{number:06d}", "hash": str(number) * 64, "theme": theme,
             "at": dt.datetime(2026, 3, 5, 23, 30, tzinfo=dt.UTC), "outcome": outcome, "incident": incident})
    db.session.commit()
    upgrade()
    rows = db.session.execute(text(
        "SELECT case_id, theme_id, finding, incident_date, incident_date_assumed FROM allegations ORDER BY case_id"
    )).all()
    # The second case gave no date: its allegation took the received day, and says so.
    assert [(r.case_id, r.theme_id, r.finding, str(r.incident_date), bool(r.incident_date_assumed))
            for r in rows] == [(1, 1, "substantiated", "2026-02-01", False), (2, None, None, "2026-03-05", True)]


def test_a_web_report_gets_its_first_allegation_in_the_same_commit(app, client):
    """The web form stores and routes a case in one transaction; the step patterns adds after routing runs there
    too, so a citizen's report counts as an allegation from the start."""
    page = client.get("/report").get_data(as_text=True)
    form_key = re.search(r'name="form_key"[^>]*value="([^"]+)"', page)
    assert form_key is not None, "the report form has no key"
    fields = {**valid_report(), "csrf_token": csrf_token_from(page), "form_key": form_key.group(1)}
    assert post_multipart(client, "/report", fields).status_code == 303
    with app.app_context():
        case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
        allegations = db.session.scalars(select(Allegation).where(Allegation.case_id == case.id)).all()
    assert len(allegations) == 1
    assert allegations[0].theme_id == case.theme_id
