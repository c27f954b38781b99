"""Recommendations in the public figures: a case can hold many, so a count of recommendations can rest on a single
complaint. A recommendation figure is published only when enough complaints are behind it."""
from __future__ import annotations

import datetime as dt

import pytest

from civicwatch.cases.models import CaseStatus, Recommendation, RemedyStatus
from civicwatch.database import set_clock
from civicwatch.extensions import db

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
RECEIVED = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
FILTERS = ["period=2026", "theme=corruption&region=eastern&period=2026", "body=police_oversight&period=2026",
           "body=police_oversight&theme=corruption&period=2026", "period=all"]
REC_MEASURES = ("rec_made", "rec_implemented", "rec_partly_implemented", "rec_not_implemented", "rec_pending")


@pytest.fixture
def frozen_clock():
    set_clock(lambda: NOW)
    yield NOW
    set_clock(None)


def closed_case_with(new_case, recommendations: list[RemedyStatus], theme: str = "corruption") -> None:
    case = new_case(CaseStatus.CLOSED, body="police_oversight", theme=theme, region="eastern", created_at=RECEIVED)
    for status in recommendations:
        db.session.add(Recommendation(case=case, text="Retrain the officers.", status=status))
    db.session.commit()


def recommendation_figures(client, query: str) -> list[tuple[str, str, int | None]]:
    data = client.get(f"/transparency/statistics.json?{query}").get_json()
    groups = [data["overall"], *data["bodies"]]
    return [(group["code"], measure, group["counts"][measure]) for group in groups for measure in REC_MEASURES
            if measure in group["counts"]]


def test_the_recommendations_of_one_complaint_are_not_published(client, new_case, frozen_clock):
    """The only complaint about corruption in the eastern region this year led to six recommendations, all carried
    out. Its count read "fewer than 5" (it could have been none), yet "6 recommendations made, 6 carried out" stood
    beside it: that there was a complaint, and what came of it."""
    closed_case_with(new_case, [RemedyStatus.IMPLEMENTED] * 6)
    for query in FILTERS:
        shown = [figure for figure in recommendation_figures(client, query) if figure[2] is not None]
        assert shown == [], (query, shown)


def test_the_recommendations_of_five_complaints_are_published(client, new_case, frozen_clock):
    for recommendations in ([RemedyStatus.IMPLEMENTED] * 2, *[[RemedyStatus.IMPLEMENTED]] * 4):
        closed_case_with(new_case, recommendations)
    figures = dict(((code, measure), value) for code, measure, value in recommendation_figures(client, "period=2026"))
    assert figures[("all", "rec_made")] == 6 and figures[("all", "rec_implemented")] == 6
