"""The statistics against a plain recount of the cases: every group, every measure, before and after the
cases change (the rollup is refreshed month by month), with and without filters. The threshold is 1 here
so that every figure is shown; suppression has its own tests."""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case, CaseStatus, Outcome, Recommendation, RemedyStatus
from civicwatch.database import set_clock
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body, Region, Theme
from civicwatch.transparency.report import build_report
from civicwatch.transparency.rollup import refresh_statistics
from civicwatch.transparency.statistics import StatisticsFilter, months_between

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
S = CaseStatus
OPEN = {S.RECEIVED, S.TRIAGED, S.ACKNOWLEDGED, S.INVESTIGATING, S.REOPENED, S.RESPONDED}


@pytest.fixture
def app_config(app_config):
    app_config["SMALL_COUNT_THRESHOLD"] = 1
    return app_config


@pytest.fixture
def frozen_clock():
    set_clock(lambda: NOW)
    yield NOW
    set_clock(None)


def random_cases(new_case, rng: random.Random, count: int) -> list[Case]:
    bodies = ["police_oversight", "anti_corruption_commission", "human_rights_commission", None]
    themes = ["misconduct", "corruption", "abuse_of_force", None]
    regions = ["eastern", "western_area", None]
    cases = []
    for _ in range(count):
        created = NOW - dt.timedelta(days=rng.uniform(1, 240), hours=rng.uniform(0, 24))
        body = rng.choice(bodies)
        status = rng.choice([S.RECEIVED, S.TRIAGED] if body is None else list(S))
        case = new_case(status, body=body, theme=rng.choice(themes), region=rng.choice(regions), created_at=created,
                        routed_by_hand=rng.random() < 0.2)
        _randomise(case, rng)
        cases.append(case)
    db.session.commit()
    return cases


def _randomise(case: Case, rng: random.Random) -> None:
    """Realistic spread: acknowledgements early or late, closings fast or slow, ratings, remedies."""
    created = case.created_at
    if case.acknowledged_at is not None:
        case.acknowledged_at = min(NOW, created + dt.timedelta(hours=rng.uniform(1, 150)))
    if case.closed_at is not None:
        case.closed_at = min(NOW, created + dt.timedelta(days=rng.uniform(0.2, 150)))
        if case.responded_at is not None:
            case.responded_at = min(case.closed_at, case.responded_at)
    if case.status is S.RECEIVED and rng.random() < 0.2:
        case.waiting_since = NOW - dt.timedelta(days=1)
    if case.status in (S.RESPONDED, S.CLOSED):
        case.outcome = rng.choice(list(Outcome))
        case.satisfaction = rng.choice([None, 1, 2, 3, 4, 5])
        for _ in range(rng.choice([0, 0, 1, 2])):
            db.session.add(Recommendation(case=case, text="Retrain the officers.", status=rng.choice(list(RemedyStatus))))


# ---------------------------------------------------------------- the plain recount

def recount(query: StatisticsFilter) -> dict:
    bodies = {b.id: b for b in db.session.scalars(select(Body))}
    codes = {"body": {b.id: b.code for b in bodies.values()},
             "theme": {t.id: t.code for t in db.session.scalars(select(Theme))},
             "region": {r.id: r.code for r in db.session.scalars(select(Region))}}
    groups: dict = defaultdict(lambda: {"cases": [], "recs": []})
    for case in db.session.scalars(select(Case)):
        month = case.created_at.strftime("%Y-%m")
        if query.first_month and month < query.first_month or query.last_month and month > query.last_month:
            continue
        if any(value is not None and getattr(case, f"{name}_id") != value
               for name, value in (("body", query.body_id), ("theme", query.theme_id), ("region", query.region_id))):
            continue
        keys = [("overall", "all"), ("month", month)]
        keys += [(name, codes[name].get(getattr(case, f"{name}_id"), "none")) for name in ("body", "theme", "region")]
        for key in keys:
            groups[key]["cases"].append(case)
    return {key: _measures(group["cases"], bodies) for key, group in groups.items()}


def _median_bucket(values: list[int]) -> int | None:
    if not values:
        return None
    return sorted(values)[len(values) // 2]


def _measures(cases: list[Case], bodies: dict) -> dict:
    def hours(start, end):
        return int((end - start).total_seconds() / 3600)

    closed = [c for c in cases if c.status in (S.CLOSED, S.REJECTED, S.REFERRED, S.WITHDRAWN)]
    acknowledged = [c for c in cases if c.acknowledged_at is not None]
    overdue = [c for c in cases if c.acknowledged_at is None and c.closed_at is None and c.waiting_since is None
               and c.acknowledge_due_at < NOW]
    with_body = [c for c in cases if c.body_id is not None]
    target = {c.id: bodies[c.body_id].target_closed_within_days for c in with_body}
    close_due = [c for c in with_body if c.closed_at is not None
                 or (NOW - c.created_at).total_seconds() / 3600 > target[c.id] * 24]
    close_on_time = [c for c in with_body if c.closed_at is not None
                     and hours(c.created_at, c.closed_at) // 24 <= target[c.id]]
    ratings = [c.satisfaction for c in cases if c.satisfaction is not None]
    recommendations = Counter(r.status.value for c in cases for r in c.recommendations)
    ack_bucket = _median_bucket([hours(c.created_at, c.acknowledged_at) for c in acknowledged])
    close_bucket = _median_bucket([hours(c.created_at, c.closed_at) // 24 for c in cases if c.closed_at])
    return {
        "received": len(cases), "open": sum(c.status in OPEN for c in cases), "closed": len(closed),
        "rejected": sum(c.status is S.REJECTED for c in cases), "answered": sum(c.status is S.RESPONDED for c in cases),
        "ack_due": len(acknowledged) + len(overdue),
        "acknowledged_in_time": (sum(c.acknowledged_at <= c.acknowledge_due_at for c in acknowledged),
                                 len(acknowledged) + len(overdue)),
        "closed_within_target": (len(close_on_time), len(close_due)),
        "routed_by_hand": (sum(c.routed_by_hand for c in cases), len(cases)),
        "satisfied": (sum(r >= 4 for r in ratings), len(ratings)),
        "ratings": len(ratings), "mean_rating": sum(ratings) / len(ratings) if ratings else None,
        "to_acknowledge": None if ack_bucket is None else (ack_bucket + 0.5) / 24,
        "to_close": close_bucket,
        "rec_made": sum(recommendations.values()), "rec_implemented": recommendations["implemented"],
        "with_outcome": sum(c.outcome is not None for c in cases),
        "outcome_unfounded": sum(c.outcome is Outcome.UNFOUNDED for c in cases),
    }


def assert_report_matches(query: StatisticsFilter, months: tuple[str, str]) -> None:
    report = build_report(query, 1, months)
    expected = recount(query)
    published = {("overall", "all"): report.overall}
    for section, groups in (("body", report.bodies), ("month", report.months), ("theme", report.themes),
                            ("region", report.regions)):
        published.update({(section, g.code): g for g in groups})
    assert expected, "the recount found no cases: the test data is wrong"
    for key, want in expected.items():
        group = published[key]
        for name in ("received", "open", "closed", "rejected", "answered"):
            assert group.count(name).value == want[name], (key, name)
        if key[0] in ("overall", "body"):
            for name in ("ack_due", "ratings", "rec_made", "rec_implemented", "with_outcome", "outcome_unfounded"):
                assert group.count(name).value == want[name], (key, name)
            assert group.median("to_acknowledge").value == pytest.approx(want["to_acknowledge"]), key
            assert group.median("to_close").value == want["to_close"], key
            assert group.mean_rating.value == pytest.approx(want["mean_rating"]), key
        shares = ("acknowledged_in_time", "routed_by_hand", "satisfied", "closed_within_target")
        for name in shares:
            if key == ("body", "none") and name in ("routed_by_hand", "closed_within_target"):
                continue
            numerator, denominator = want[name]
            actual = group.share(name).value
            assert actual == (pytest.approx(numerator / denominator) if denominator else None), (key, name)


def test_figures_match_a_plain_recount_before_and_after_changes(app, new_case):
    yesterday = NOW - dt.timedelta(days=1)
    set_clock(lambda: yesterday)
    try:
        rng = random.Random(20260615)
        cases = random_cases(new_case, rng, 160)
        refresh_statistics(full=True, now=yesterday + dt.timedelta(hours=1))
        db.session.commit()

        # A day later some cases moved on, and some passed a deadline without anyone touching them: the
        # next refresh recomputes only the months concerned, and the figures are right as of now.
        set_clock(lambda: NOW)
        months = sorted({c.created_at.strftime("%Y-%m") for c in cases})
        early = [c for c in cases if c.created_at.strftime("%Y-%m") == months[1]]
        for case in [c for c in early if c.status is S.RESPONDED][:2]:
            case.status, case.closed_at, case.satisfaction = S.CLOSED, NOW, 5
        new_case(S.RECEIVED, body="anti_corruption_commission", theme="corruption",
                 created_at=NOW - dt.timedelta(hours=2))
        db.session.commit()
        result = refresh_statistics()
        db.session.commit()
        assert not result.full and 0 < result.months < len(months)
        everything = (months[0], "2026-06")
        assert_report_matches(StatisticsFilter(), everything)

        ids = {name: db.session.scalar(select(model.id).where(model.code == code)) for name, model, code in (
            ("body", Body, "police_oversight"), ("theme", Theme, "corruption"), ("region", Region, "eastern"))}
        assert_report_matches(StatisticsFilter("2026-02", "2026-05"), ("2026-02", "2026-05"))
        assert_report_matches(StatisticsFilter(body_id=ids["body"]), everything)
        assert_report_matches(StatisticsFilter(theme_id=ids["theme"]), everything)
        assert_report_matches(StatisticsFilter("2026-01", "2026-06", ids["body"], None, ids["region"]),
                              ("2026-01", "2026-06"))

        # A full rebuild gives exactly the same figures.
        before = build_report(StatisticsFilter(), 1, everything)
        refresh_statistics(full=True)
        db.session.commit()
        after = build_report(StatisticsFilter(), 1, everything)
        assert [(g.code, g.counts, g.shares, g.days) for g in before.bodies + before.months] == [
            (g.code, g.counts, g.shares, g.days) for g in after.bodies + after.months]
    finally:
        set_clock(None)


def test_an_unacknowledged_case_counts_against_the_body_once_its_deadline_passes(app, new_case, clock):
    clock.now = NOW
    new_case(S.TRIAGED, created_at=NOW - dt.timedelta(hours=10))
    refresh_statistics(full=True)
    db.session.commit()
    before = build_report(StatisticsFilter(), 1, ("2026-06", "2026-06")).overall
    clock.now = NOW + dt.timedelta(days=8)  # past the law's 7 days; nobody touched the case meanwhile
    assert not refresh_statistics().full
    db.session.commit()
    after = build_report(StatisticsFilter(), 1, ("2026-06", "2026-06")).overall
    assert before.count("ack_due").value == 0 and before.share("acknowledged_in_time").value is None
    assert after.count("ack_due").value == 1 and after.share("acknowledged_in_time").value == 0


def test_an_open_case_counts_against_the_closing_target_once_it_is_older(app, new_case, clock):
    clock.now = NOW
    new_case(S.INVESTIGATING, created_at=NOW - dt.timedelta(days=89))
    refresh_statistics(full=True)
    db.session.commit()
    before = build_report(StatisticsFilter(), 1, ("2026-03", "2026-06")).overall
    clock.now = NOW + dt.timedelta(days=2)
    refresh_statistics()
    db.session.commit()
    after = build_report(StatisticsFilter(), 1, ("2026-03", "2026-06")).overall
    assert before.share("closed_within_target").state.value == "empty"
    assert after.share("closed_within_target").value == 0


def test_changing_a_target_rebuilds_everything(app, new_case, frozen_clock):
    new_case(S.CLOSED, created_at=NOW - dt.timedelta(days=100))
    refresh_statistics()
    db.session.commit()
    body = db.session.scalar(select(Body).where(Body.code == "police_oversight"))
    body.target_closed_within_days = 10
    db.session.commit()
    assert refresh_statistics().full


def test_months_without_cases_are_in_the_trend_as_zero(app, new_case, frozen_clock):
    new_case(S.CLOSED, created_at=dt.datetime(2026, 2, 3, tzinfo=dt.UTC))
    refresh_statistics()
    db.session.commit()
    report = build_report(StatisticsFilter("2026-01", "2026-04"), 1, ("2026-01", "2026-04"))
    assert [m.code for m in report.months] == months_between("2026-01", "2026-04")
    assert [m.count("received").value for m in report.months] == [0, 1, 0, 0]


def test_the_page_states_each_bodys_target_beside_its_figure(app, client, new_case, frozen_clock):
    body = db.session.scalar(select(Body).where(Body.code == "police_oversight"))
    body.target_acknowledged_share, body.target_closed_within_days = 0.75, 60
    db.session.commit()
    for hours_late in (0, 0, 0, 200):  # the last one past the law's 7 days
        case = new_case(S.ACKNOWLEDGED, created_at=dt.datetime(2026, 5, 2, tzinfo=dt.UTC))
        case.acknowledged_at = case.created_at + dt.timedelta(hours=1 + hours_late)
    db.session.commit()
    html = client.get("/transparency?body=police_oversight").get_data(as_text=True)
    assert "75%" in html and "60 days" in html
    assert "Target met" in html  # 3 of 4 in time = 75% against a 75% target
    data = client.get("/transparency/statistics.json?body=police_oversight").get_json()
    police = next(b for b in data["bodies"] if b["code"] == "police_oversight")
    assert police["targets"] == {"share_acknowledged_in_time": 0.75, "days_to_close": 60}
    assert police["shares"]["acknowledged_in_time"] == 0.75


@pytest.mark.parametrize("query", [
    "period=all", "period=2026", "period=last12", "from_month=2026-01&to_month=2026-03", "from_month=2026-04",
    "body=police_oversight&theme=misconduct&region=eastern",
    "to_month=%1E", "from_month=%20%20&period=all",  # blanks (Python counts \x1e as one) are no month
])
def test_every_filter_gives_a_page_and_exports(client, new_case, frozen_clock, query):
    new_case(S.CLOSED, region="eastern", created_at=dt.datetime(2026, 2, 3, tzinfo=dt.UTC))
    for path in ("/transparency", "/transparency/statistics.csv", "/transparency/statistics.json"):
        assert client.get(f"{path}?{query}").status_code == 200, (path, query)


# Every public endpoint that takes months. Year 0 and year 10000 have no first day in datetime; before the
# months were checked against a range these gave a 500 (and 9999-12 first built a trend of 96,000 months).
MONTH_ENDPOINTS = ("/transparency", "/transparency/statistics.csv", "/transparency/statistics.json")


@pytest.mark.parametrize("query, message", [
    ("from_month=0000-01", "Choose a month from 2000-01 to 2099-12."),
    ("to_month=9999-12", "Choose a month from 2000-01 to 2099-12."),
    ("from_month=9999-12", "Choose a month from 2000-01 to 2099-12."),
    ("from_month=1999-12&to_month=2026-01", "Choose a month from 2000-01 to 2099-12."),
    ("from_month=2026-01&to_month=2100-01", "Choose a month from 2000-01 to 2099-12."),
    ("from_month=%D9%A2%D9%A0%D9%A2%D9%A6-%D9%A0%D9%A3", "Year and month, for example 2026-03"),  # Arabic digits
])
def test_months_outside_the_range_are_a_clear_400_on_every_endpoint(client, frozen_clock, query, message):
    for path in MONTH_ENDPOINTS:
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        if path.endswith(".json"):
            assert message in str(response.get_json()["error"]["fields"])
        else:
            assert message in response.get_data(as_text=True)


def test_month_errors_speak_the_readers_language(client, frozen_clock):
    client.get("/language/fr")
    page = client.get("/transparency?from_month=1999-12").get_data(as_text=True)
    assert "Choisissez un mois de 2000-01 à 2099-12." in page and "Choose a month" not in page
    fields = client.get("/transparency/statistics.json?to_month=march").get_json()["error"]["fields"]
    assert "Année et mois" in str(fields) and "Year and month" not in str(fields)


def test_the_first_and_last_months_of_the_range_are_accepted(client, frozen_clock):
    for path in MONTH_ENDPOINTS:
        assert client.get(f"{path}?from_month=2000-01&to_month=2099-12").status_code == 200, path


@pytest.mark.parametrize("year", ["0000", "9999", "1999", "2100"])
def test_years_outside_the_range_are_a_clear_400_on_every_published_endpoint(client, year):
    for path in ("/published", "/published/answers.csv", "/published/answers.json"):
        response = client.get(f"{path}?year={year}")
        assert response.status_code == 400, (path, year)
        assert "Choose a year from 2000 to 2099." in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["from_month=2026-13", "from_month=2026-05&to_month=2026-01", "body=nobody",
                                   "theme=<script>", "region=%00"])
def test_bad_filters_are_explained_not_crashed(client, query):
    page = client.get(f"/transparency?{query}")
    assert page.status_code == 400 and "There is a problem" in page.get_data(as_text=True)
    assert client.get(f"/transparency/statistics.json?{query}").get_json()["error"]["status"] == 400
    assert client.get(f"/transparency/statistics.csv?{query}").status_code == 400


def test_the_statistics_command(app):
    result = app.test_cli_runner().invoke(args=["civicwatch", "statistics", "refresh", "--full"])
    assert result.exit_code == 0 and "full rebuild" in result.output


def test_a_range_into_the_future_ends_its_months_at_the_current_one(client, new_case, frozen_clock):
    """No complaint is received in months still to come. A range to 2099-12 printed 883 of them, each "fewer than
    5" (as if a few might have been), in a page of 1.6 MB and a chart of 900 bars, for any visitor who asks."""
    new_case(S.CLOSED, created_at=dt.datetime(2026, 2, 3, tzinfo=dt.UTC))
    data = client.get("/transparency/statistics.json?from_month=2026-01&to_month=2099-12").get_json()
    assert [month["code"] for month in data["months"]][-1] == "2026-06"
    assert [year["code"] for year in data["years"]] == ["2026"]
    page = client.get("/transparency?from_month=2026-01&to_month=2099-12").get_data(as_text=True)
    assert len(page) < 300_000


@pytest.mark.parametrize("query", ["body=police_oversight&body=anti_corruption_commission", "period=2026&period=2025",
                                   "from_month=2026-01&from_month=junk", "theme=corruption&theme=corruption"])
def test_a_filter_given_twice_is_a_clear_400_not_the_first_value(client, frozen_clock, query):
    """Two bodies asked for in one link gave the figures of the first alone, with nothing to say the second was
    dropped: a reader or a script comparing two bodies took one body's figures for both."""
    for path in MONTH_ENDPOINTS:
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert "Choose only one." in response.get_data(as_text=True), (path, query)
