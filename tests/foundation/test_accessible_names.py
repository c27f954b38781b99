"""What a screen reader names, read from the HTML the pages send.

- Every data table of the staff pages has a name of its own (a caption, or aria-labelledby to its heading): a
  table named only by the scrolling region around it is announced as a bare "table" when a screen reader lists
  the tables or jumps to one.
- Two related cases held by the same other body: their buttons ("Link", "Dismiss", "Ask ... to share it") must
  not read alike, and still must not give away the other body's case.
- A radio group with an error: each of its radio buttons carries aria-invalid and points at the error, since the
  error summary's link lands on the first radio button, not on the group.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from html.parser import HTMLParser

from civicwatch.accounts.models import Role
from civicwatch.cases.holidays import set_holiday
from civicwatch.cases.models import CaseStatus
from civicwatch.database import utcnow
from civicwatch.disclosure.models import DisclosureScope
from civicwatch.disclosure.operations import request_disclosure
from civicwatch.extensions import db
from civicwatch.patterns.operations import propose_related_cases
from civicwatch.retention.operations import set_schedule
from civicwatch.taxonomy.models import Body, District
from tests.conftest import csrf_token_from
from tests.factories import create_case, staff_client
from tests.intake.conftest import post_report
from tests.intake.test_intake_assisted import PATH as ASSISTED
from tests.intake.test_intake_assisted import assisted_form

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Tables(HTMLParser):
    """Each <table>: its attributes and its caption's text; and the text of every element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.texts: dict[str, str] = {}
        self.open_ids: list[str | None] = []
        self.caption: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "table":
            self.tables.append({"attrs": attributes, "caption": ""})
        elif tag == "caption" and self.tables:
            self.caption = self.tables[-1]
        if tag not in VOID:
            self.open_ids.append(attributes.get("id"))
            if attributes.get("id"):
                self.texts[attributes["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self.caption = None
        if tag not in VOID and self.open_ids:
            self.open_ids.pop()

    def handle_data(self, data: str) -> None:
        if self.caption is not None:
            self.caption["caption"] += data
        for element_id in self.open_ids:
            if element_id:
                self.texts[element_id] += data


def unnamed_tables(html: str) -> list[str]:
    parsed = Tables()
    parsed.feed(html)
    unnamed = []
    for table in parsed.tables:
        labels = (table["attrs"].get("aria-labelledby") or "").split()
        named = table["caption"].strip() or (table["attrs"].get("aria-label") or "").strip() or (
            labels and all(parsed.texts.get(label, "").strip() for label in labels))
        if not named:
            unnamed.append(str(table["attrs"]))
    return unnamed


def test_the_check_finds_a_table_named_only_by_its_region():
    assert unnamed_tables('<h2 id="t">Alerts</h2><div role="region" aria-labelledby="t"><table></table></div>') \
        == ["{}"]
    assert unnamed_tables('<table><caption>Keys</caption></table><h2 id="h">Rules</h2>'
                          '<table aria-labelledby="h"></table>') == []
    assert unnamed_tables('<table aria-labelledby="nowhere"></table>') != []


def test_every_staff_table_has_a_name(app, make_user, clock):
    admin = make_user(Role.ADMIN)
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    scored = create_case(CaseStatus.INVESTIGATING, "police_oversight", theme_scores={"corruption": 0.8,
                                                                                     "misconduct": 0.2})
    create_case(CaseStatus.CLOSED, "police_oversight", created_at=utcnow() - dt.timedelta(days=400))
    answered = create_case(CaseStatus.RESPONDED, "police_oversight", contact={"phone": "+23276100200"},
                           findings="Fatmata Kamara of 12 Kissy Road reported that Sgt. Bangura took money.")
    vault = create_case(CaseStatus.INVESTIGATING, "police_oversight", contact={"phone": "+23276100300"})
    set_holiday(admin, dt.date(2026, 4, 27), "Independence Day")
    set_schedule(admin, None, CaseStatus.CLOSED, 1)
    request_disclosure(vault, investigator, DisclosureScope.WITHIN_BODY, "To call the witness back about the date.")
    db.session.commit()
    pages = {admin: ["/staff/", "/staff/users", "/staff/api-keys", "/staff/routing/", "/staff/holidays",
                     "/staff/retention", "/staff/retention/dry-run", f"/staff/cases/{scored.id}",
                     "/staff/patterns/alerts", "/staff/patterns/subjects"],
             investigator: ["/staff/", "/staff/patterns/shares", f"/staff/cases/{vault.id}/identity"]}
    browser = staff_client(app, investigator)
    page = browser.get(f"/staff/publications/case/{answered.id}").get_data(as_text=True)
    started = browser.post(f"/staff/publications/case/{answered.id}/start", data={"csrf_token": csrf_token_from(page)})
    pages[investigator].append(started.headers["Location"])
    failures = {}
    for user, paths in pages.items():
        client = browser if user is investigator else staff_client(app, user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            html = response.get_data(as_text=True)
            assert "<table" in html, path
            if unnamed_tables(html):
                failures[path] = unnamed_tables(html)
    assert failures == {}


def _button_names(html: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", inner).split())
            for inner in re.findall(r"<button[^>]*>(.*?)</button>", html, re.S)]


def test_the_buttons_of_two_related_cases_at_one_other_body_read_differently(make_user, app, clock):
    kenema = db.session.query(District).filter_by(code="kenema").one()
    text = ("Soldiers at the Tongo Field checkpoint beat the bus driver with rifle butts and took his money. "
            "Witness Zorblax Quennet saw it.")
    theirs = [create_case(CaseStatus.INVESTIGATING, "human_rights_commission", text=text, district=kenema,
                          created_at=clock.now - dt.timedelta(days=days)) for days in (2, 3)]
    ours = create_case(CaseStatus.RECEIVED, "police_oversight", district=kenema, created_at=clock.now,
                       text="At the Tongo Field checkpoint soldiers beat our bus driver with rifle butts and took "
                            "money from him.")
    assert len(propose_related_cases(ours)) == 2
    db.session.commit()
    html = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight")).get(
        f"/staff/cases/{ours.id}").get_data(as_text=True)
    section = html[html.index('id="related-title"'):]
    section = section[:section.index("</section>")]
    holder = db.session.query(Body).filter_by(code="human_rights_commission").one().name
    assert section.count(f"A related case exists at {holder}") == 2
    names = _button_names(section)
    assert len(names) >= 4
    assert [name for name, count in Counter(names).items() if count > 1] == []
    for case in theirs:  # told apart without giving away the other body's case
        assert case.reference not in html and "Zorblax" not in html


def _radios(html: str, name: str) -> list[str]:
    return re.findall(rf'<input[^>]*\bname="{name}"[^>]*type="radio"[^>]*>|<input[^>]*type="radio"[^>]*'
                      rf'\bname="{name}"[^>]*>', html)


def test_the_radio_buttons_of_a_group_with_an_error_are_marked_invalid_on_the_report_form(client):
    html = post_report(client, contact_choice="carrier pigeon", reported_actor="aliens").get_data(as_text=True)
    for name in ("contact_choice", "reported_actor"):
        radios = _radios(html, name)
        assert len(radios) >= 2, name
        for radio in radios:
            assert 'aria-invalid="true"' in radio, radio
            assert re.search(rf'aria-describedby="[^"]*\b{name}-error\b', radio), radio
        assert f'id="{name}-error"' in html
    fresh = client.get("/report").get_data(as_text=True)
    assert all("aria-invalid" not in radio for radio in _radios(fresh, "contact_choice"))
    valid = _radios(html, "danger_now")  # a group without an error stays unmarked
    assert valid and all("aria-invalid" not in radio for radio in valid)


def test_the_radio_buttons_of_a_group_with_an_error_are_marked_invalid_on_the_assisted_form(make_user, login_as):
    client = login_as(make_user(Role.INVESTIGATOR, "auditor_general"))
    response = client.post(ASSISTED, data=assisted_form(client, channel="carrier pigeon"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    radios = _radios(html, "channel")
    assert len(radios) >= 2
    for radio in radios:
        assert 'aria-invalid="true"' in radio and re.search(r'aria-describedby="[^"]*\bchannel-error\b', radio)


def test_the_tables_of_the_open_data_page_have_names(client):
    """The public page describing the files has the same tables inside scrolling regions."""
    html = client.get("/transparency/data").get_data(as_text=True)
    assert html.count("<table") >= 3 and unnamed_tables(html) == []
