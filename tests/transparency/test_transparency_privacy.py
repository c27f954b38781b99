"""Nothing public gives a person away: no count from 1 to 4 can be read or worked out from any page, export
or API response, and the demo complainants' names, phones and emails appear in no public output."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from civicwatch.cases.identity import contact_of
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.database import set_clock
from civicwatch.demo.operations import DEMO_CONTACTS, build_demo
from civicwatch.extensions import db
from civicwatch.interfaces.operations import issue_api_key
from civicwatch.transparency.report import DETAIL_LINES, STATUS_LINES

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
COUNT_CELL = re.compile(r'data-kind="count">\s*([^<]*?)\s*<')
SMALL = {"1", "2", "3", "4"}


@pytest.fixture
def frozen_clock():
    set_clock(lambda: NOW)
    yield NOW
    set_clock(None)


@pytest.fixture
def sparse_cases(new_case, frozen_clock):
    """Few cases spread thin, so that most groups are small: the hardest case for suppression."""
    plan = [("police_oversight", "misconduct", "eastern", 3), ("anti_corruption_commission", "corruption", "eastern", 7),
            ("human_rights_commission", "abuse_of_force", "northern", 1), ("auditor_general", "misuse_of_resources",
                                                                          None, 12)]
    statuses = [CaseStatus.CLOSED, CaseStatus.INVESTIGATING, CaseStatus.RECEIVED, CaseStatus.REJECTED,
                CaseStatus.RESPONDED]
    number = 0
    for body, theme, region, count in plan:
        for _i in range(count):
            number += 1
            new_case(statuses[number % len(statuses)], body=body, theme=theme, region=region,
                     created_at=NOW - dt.timedelta(days=20 + 9 * number), satisfaction=None,
                     routed_by_hand=number % 4 == 0)


FILTERS = ["", "period=all", "period=2026", "body=police_oversight", "body=auditor_general", "theme=corruption",
           "region=eastern", "region=northern", "from_month=2026-03&to_month=2026-04"]


def _walk_groups(data: dict):
    yield "overall", data["overall"]
    for section in ("bodies", "months", "themes", "regions"):
        for group in data[section]:
            yield section, group


@pytest.mark.parametrize("query", FILTERS)
def test_no_small_count_in_any_page_or_export(client, sparse_cases, query):
    html = client.get(f"/transparency?{query}").get_data(as_text=True)
    cells = COUNT_CELL.findall(html)
    assert cells and not SMALL & set(cells), [c for c in cells if c in SMALL]
    assert "fewer than 5" in html
    assert not re.search(r": [1-4]</title>", html)  # chart tooltips
    stats = re.findall(r'class="stat" data-kind="count">([^<]*)<', html)
    assert not SMALL & set(stats)

    data = client.get(f"/transparency/statistics.json?{query}").get_json()
    for section, group in _walk_groups(data):
        for name, value in group["counts"].items():
            assert value is None or value == 0 or value >= 5, (section, group["code"], name, value)
            if value is None:
                assert group["not_shown"][name] in ("fewer than 5", "withheld")
        # Every line of counts that adds up has no single hidden figure to work out by subtraction.
        lines = STATUS_LINES + (DETAIL_LINES if section in ("overall", "bodies") else ())
        for parts, total in lines:
            line = [group["counts"][p] for p in parts] + [group["counts"][total]]
            assert sum(value is None for value in line) != 1, (section, group["code"], parts)
    for section in ("bodies", "months", "themes", "regions"):
        for name in data["overall"]["counts"]:
            if section != "bodies" and name not in data["months"][0]["counts"]:
                continue
            column = [g["counts"][name] for g in data[section]] + [data["overall"]["counts"][name]]
            assert sum(value is None for value in column) != 1, (section, name)

    rows = list(csv.DictReader(io.StringIO(client.get(f"/transparency/statistics.csv?{query}").get_data(as_text=True))))
    count_measures = set(data["overall"]["counts"])
    for row in rows:
        if row["measure"] in count_measures:
            assert row["value"] not in SMALL, row


def test_shares_and_medians_never_rest_on_a_small_count(client, sparse_cases):
    data = client.get("/transparency/statistics.json?period=all").get_json()
    for section, group in _walk_groups(data):
        counts = group["counts"]
        if counts.get("received") is None:
            for name, value in group["shares"].items():
                assert value is None, (section, group["code"], name)
        if "ratings" in counts and counts["ratings"] is None:
            assert group["mean_rating"] is None


def test_a_count_of_three_is_shown_as_fewer_than_five(client, new_case, frozen_clock):
    for _ in range(3):
        new_case(CaseStatus.RECEIVED, body="police_oversight", created_at=NOW - dt.timedelta(days=3))
    data = client.get("/transparency/statistics.json").get_json()
    police = next(b for b in data["bodies"] if b["code"] == "police_oversight")
    assert police["counts"]["received"] is None and police["not_shown"]["received"] == "fewer than 5"
    assert data["overall"]["counts"]["received"] is None  # the total is 3 as well
    html = client.get("/transparency").get_data(as_text=True)
    assert "fewer than 5" in html and "3 complaints" not in html


def test_the_threshold_is_configurable(app, client, new_case, frozen_clock):
    app.config["SMALL_COUNT_THRESHOLD"] = 10
    for _ in range(7):
        new_case(CaseStatus.RECEIVED, created_at=NOW - dt.timedelta(days=3))
    data = client.get("/transparency/statistics.json").get_json()
    assert data["small_count_threshold"] == 10
    assert data["overall"]["not_shown"]["received"] == "fewer than 10"


def _figures(group: dict) -> dict:
    """What a group publishes, its name and targets aside."""
    return {key: group[key] for key in ("counts", "shares", "median_days", "mean_rating", "not_shown", "at_least")
            if key in group}


def test_a_small_group_reads_the_same_whether_it_holds_one_case_or_none(client, new_case, frozen_clock):
    """Rule 5: "fewer than 5" must not tell 0 from 1 to 4, through any figure of the group. One case was received
    in April, by the human rights commission, about abuse of force, in the northern region, and acknowledged;
    nothing in May, for the auditor-general, about misuse of resources, or in the southern region."""
    for day in range(8):
        new_case(CaseStatus.CLOSED, body="police_oversight", theme="misconduct", region="eastern",
                 created_at=dt.datetime(2026, 3, 3 + day, 9, tzinfo=dt.UTC))
    new_case(CaseStatus.INVESTIGATING, body="human_rights_commission", theme="abuse_of_force", region="northern",
             created_at=dt.datetime(2026, 4, 10, 9, tzinfo=dt.UTC))
    pairs = {"months": ("2026-04", "2026-05"), "bodies": ("human_rights_commission", "auditor_general"),
             "themes": ("abuse_of_force", "misuse_of_resources"), "regions": ("northern", "southern")}
    for query in ("period=all", "from_month=2026-03&to_month=2026-05", "period=2026"):
        data = client.get(f"/transparency/statistics.json?{query}").get_json()
        for section, (one, none) in pairs.items():
            groups = {group["code"]: group for group in data[section]}
            assert groups[one]["not_shown"]["received"] == "fewer than 5", (query, section)
            assert _figures(groups[one]) == _figures(groups[none]), (query, section)
        rows = list(csv.DictReader(io.StringIO(
            client.get(f"/transparency/statistics.csv?{query}").get_data(as_text=True))))
        for section, (one, none) in (("month", pairs["months"]), ("theme", pairs["themes"])):
            figures = {code: [(row["measure"], row["value"], row["note"]) for row in rows
                              if row["section"] == section and row["code"] == code] for code in (one, none)}
            assert figures[one] and figures[one] == figures[none], (query, section)


def test_all_time_begins_where_the_deployment_says_not_at_the_first_case(app, client, new_case, frozen_clock):
    """A table that began at the first month with a case would tell that month holds at least one: with the
    total and a withheld month (at least 5), its "fewer than 5" could be worked out exactly."""
    plan = {3: 1, 4: 5, 5: 5}  # one complaint in March, five in April and in May
    for month, count in plan.items():
        for day in range(count):
            new_case(CaseStatus.CLOSED, body="police_oversight", theme="misconduct", region="eastern",
                     created_at=dt.datetime(2026, month, 2 + day, 9, tzinfo=dt.UTC))

    def months(query: str) -> list[str]:
        return [m["code"] for m in client.get(f"/transparency/statistics.json?{query}").get_json()["months"]]

    assert months("period=all")[0] == months("to_month=2026-05")[0] == "2026-01"  # the year of the first case
    app.config["STATISTICS_SINCE"] = "2025-11"
    assert months("period=all")[:3] == ["2025-11", "2025-12", "2026-01"]
    assert months("to_month=2026-05")[0] == "2025-11"
    data = client.get("/transparency/statistics.json?period=all").get_json()
    assert data["overall"]["counts"]["received"] == 11
    assert data["period"]["first_month"] == "2025-11"
    assert '<option value="2025">' in client.get("/transparency").get_data(as_text=True)
    app.config["STATISTICS_SINCE"] = "2026-04"  # cases before the start are left out of "all time", consistently
    data = client.get("/transparency/statistics.json?period=all").get_json()
    assert [m["code"] for m in data["months"]][0] == "2026-04"
    assert data["overall"]["counts"]["received"] != 11 and data["overall"]["at_least"]["received"] < 11


def test_no_period_reaches_back_before_the_deployment_s_start(app, client, new_case, frozen_clock):
    """Cases received before STATISTICS_SINCE (a pilot, test data) are left out of every period, not only "all
    time": a year from the menu, a start month typed by hand or a range ending before it."""
    for month, count in {3: 1, 4: 5, 5: 5}.items():
        for day in range(count):
            new_case(CaseStatus.CLOSED, body="police_oversight", theme="misconduct", region="eastern",
                     created_at=dt.datetime(2026, month, 2 + day, 9, tzinfo=dt.UTC))
    app.config["STATISTICS_SINCE"] = "2026-04"
    every = client.get("/transparency/statistics.json?period=all").get_json()
    for query in ("period=2026", "from_month=2026-01", "from_month=2026-03&to_month=2026-05",
                  "from_month=2025-06&to_month=2026-12"):
        data = client.get(f"/transparency/statistics.json?{query}").get_json()
        assert [m["code"] for m in data["months"]][0] == "2026-04", query
        assert data["period"]["first_month"] == "2026-04", query
        assert data["overall"] == every["overall"], query
    before = client.get("/transparency/statistics.json?from_month=2026-01&to_month=2026-03")
    assert before.status_code == 400
    assert "April 2026" in before.get_data(as_text=True)
    page = client.get("/transparency?to_month=2026-03")
    assert page.status_code == 400 and "April 2026" in page.get_data(as_text=True)


# ---------------------------------------------------------------- personal data

def _variants(contact: dict) -> list[str]:
    digits = contact["phone"].lstrip("+")
    local = digits[3:]
    first, family = contact["name"].split(" ", 1)
    return [contact["name"], family, first, contact["email"], contact["email"].split("@")[0], contact["phone"],
            digits, local, "0" + local, f"0{local[:2]} {local[2:5]} {local[5:]}"]


@pytest.fixture
def demo_world(app, publish, client):
    """The demo data, with answers published from findings that name the demo complainants, and a complaint
    sent through Open311 with a demo phone and email."""
    build_demo("demo-password-123", 150, 7)
    db.session.commit()
    with_contact = [c for c in db.session.scalars(select(Case).where(
        Case.status.in_((CaseStatus.CLOSED, CaseStatus.RESPONDED)), Case.identity.has(),
        Case.body_id.is_not(None)))][:4]
    assert with_contact, "the demo data has answered cases with contact details"
    for case in with_contact:
        contact = contact_of(case)
        case.findings = (f"{contact['name']} told us that Officer Kamara took her phone. Call her on "
                         f"{contact['phone']} or 0{contact['phone'][4:]} or write to {contact['email']}.")
        case.draft_public_response = f"We apologise to {contact['name'].split()[0]}. The officer was warned."
        db.session.commit()
        publish(case, body=case.body.code)
    _, secret = issue_api_key("Test client", None)
    db.session.commit()
    demo = DEMO_CONTACTS[0]
    response = client.post("/open311/v2/requests.json", data={
        "api_key": secret, "service_code": "corruption", "phone": demo["phone"], "email": demo["email"],
        "description": f"My name is {demo['name']} and police at Kissy took my money."})
    assert response.status_code == 200
    return with_contact


def _public_paths(client, cases) -> list[str]:
    paths = ["/", "/privacy", "/transparency", "/transparency?period=all", "/transparency/data",
             "/transparency/statistics.csv?period=all", "/transparency/statistics.json?period=all",
             "/published", "/published/feed.atom", "/published/answers.csv", "/published/answers.json",
             "/open311/v2/discovery.json", "/open311/v2/services.json", "/open311/v2/services/corruption.xml",
             "/open311/v2/requests.json", "/open311/v2/requests.xml", "/api/openapi.json"]
    paths.append("/published?q=officer+warned")  # search results (a name typed in the box is echoed back)
    for case in cases:
        paths += [f"/published/{case.reference}", f"/open311/v2/requests/{case.reference}.json",
                  f"/transparency?body={case.body.code}"]
    return paths


def test_no_public_output_contains_a_demo_complainant(client, demo_world):
    crawled = 0
    for path in _public_paths(client, demo_world):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        for contact in DEMO_CONTACTS:
            for detail in _variants(contact):
                assert detail.lower() not in body.lower(), (path, detail)
        crawled += 1
    published = {a["reference"]: a for a in client.get("/published/answers.json").get_json()["answers"]}
    named = [published[case.reference] for case in demo_world]  # the demo publishes others of its own
    assert all("[name]" in a["summary"] and "[phone number]" in a["summary"] for a in named)
    assert crawled > 20
