"""Quarters and years for a choice whose months are too small to publish, and the attack on them.

A quarter or a year is published as a range of months like any other (the sum of its protected months, "at
least N" when one of them is hidden), so it adds no figure to what the months and the ranges of months already
publish. The attacker below reads every figure the JSON export publishes for every body, subject and region
(months, quarters, years, all time, and the sections of each) and checks that:
- each quarter and year is what its published months say (exact only when every month is; "at least" the
  months shown otherwise; a lone hidden month's own note);
- linear programmes over the unknown counts (month x body x subject x region x status, none negative; "fewer
  than 5" is 0 to 4) bound every count published as "fewer than 5" the same with or without the quarters and
  years.
The data sets are rollups of a busy body beside a quiet one over 16 months (6 quarters, 3 years), including
the shapes in which quarters kept as protected cells of their own gave small counts away.

A zero is published as "fewer than 5" too, so the attacker reads that note as 0 to 4; with it read as 1 to 4
(zeros shown as 0), the months alone pinned small counts down (several hidden months adding up to as many
cases as there are hidden months): the last attack test checks that none is.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import random
from collections.abc import Iterator

import numpy
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body, Region, Theme
from civicwatch.taxonomy.queries import by_code
from civicwatch.transparency.models import CELL_MEASURES, StatisticsRefresh, statistics_cells
from civicwatch.transparency.statistics import months_between

NOW = dt.datetime(2027, 3, 15, 12, 0, tzinfo=dt.UTC)
THRESHOLD = 5
MONTHS = tuple(months_between("2025-11", "2027-03"))  # the page runs to the current month, March 2027 (empty)
STATUSES = ("in_progress", "answered", "closed_answered", "rejected", "referred", "withdrawn")
COUNTS = {"received": STATUSES, "open": STATUSES[:2], "closed": STATUSES[2:], **{s: (s,) for s in STATUSES}}
BODIES = ("police_oversight", "human_rights_commission", None)
THEMES = ("misconduct", "corruption")
REGIONS = ("eastern",)
ANY = "*"
QUIET = "human_rights_commission"


@pytest.fixture
def app_config(app_config):
    app_config["STATISTICS_REFRESH_ON_PAGE_VIEW"] = False  # the rollup is the test's own
    app_config["STATISTICS_SINCE"] = MONTHS[0]  # the service opened in the rollup's first month
    return app_config


def store_rollup(seed: int) -> None:
    """Rollup rows for every month but the last: a busy body beside a quiet one and a few cases not yet
    routed, zeros everywhere."""
    rng = random.Random(seed)
    ids = {code: (by_code(model, code).id if code else None)
           for model, codes in ((Body, BODIES), (Theme, THEMES), (Region, REGIONS)) for code in codes}
    rows = []
    for month, body, theme, region in itertools.product(MONTHS[:-1], BODIES, THEMES, REGIONS):
        scale = 6 if body == "police_oversight" else 1
        statuses = [max(0, int(rng.gauss(0, scale))) if rng.random() < 0.6 else 0 for _ in STATUSES]
        if not any(statuses):
            continue
        row = dict.fromkeys(CELL_MEASURES, 0)
        row.update(zip(STATUSES, statuses, strict=True), received=sum(statuses),
                   by_hand=rng.randint(0, sum(statuses)))
        rows.append({"month": month, "body_id": ids[body], "theme_id": ids[theme], "region_id": ids[region], **row})
    db.session.execute(statistics_cells.insert(), rows)
    db.session.add(StatisticsRefresh(id=1, refreshed_at=NOW, targets={}))
    db.session.commit()


# ---------------------------------------------------------------- what the public sees

Population = tuple[tuple[str, ...], str, str, str]  # months, body, theme, region (ANY, a code or "none")


def every_filter() -> Iterator[tuple[str, tuple[str, str, str]]]:
    for body, theme, region in itertools.product((ANY, *(b or "none" for b in BODIES[:2])), (ANY, *THEMES),
                                                 (ANY, *REGIONS)):
        chosen = [f"{name}={value}" for name, value in (("body", body), ("theme", theme), ("region", region))
                  if value != ANY]
        yield "&".join(["period=all", *chosen]), (body, theme, region)


def quarter_months(code: str) -> tuple[str, ...]:
    year, quarter = code.split("-Q")
    return tuple(m for m in MONTHS if m[:4] == year and (int(m[5:]) - 1) // 3 + 1 == int(quarter))


def published(data: dict, scope: tuple[str, str, str]) -> Iterator[tuple[Population, str, dict]]:
    """(population, measure, how it is published) for every status count of one statistics.json."""
    def figures(group: dict, months: tuple[str, ...], members: tuple[str, str, str], section: str = ""):
        for measure in COUNTS:
            yield (months, *members), measure, {"section": section, "value": group["counts"][measure],
                                                "note": group["not_shown"].get(measure, ""),
                                                "at_least": group.get("at_least", {}).get(measure)}

    yield from figures(data["overall"], MONTHS, scope)
    for group in data["months"]:
        yield from figures(group, (group["code"],), scope)
    for group in data["quarters"]:
        yield from figures(group, quarter_months(group["code"]), scope, "quarters")
    for group in data["years"]:
        yield from figures(group, tuple(m for m in MONTHS if m[:4] == group["code"]), scope, "years")
    for section, position in (("bodies", 0), ("themes", 1), ("regions", 2)):
        for group in data[section]:
            members = list(scope)
            members[position] = group["code"]
            yield from figures(group, MONTHS, (members[0], members[1], members[2]))


class Attacker:
    """Unknowns: the count of each status in each month x body x subject x region, none negative."""

    def __init__(self, seen: dict[tuple[Population, str], dict], periods: bool) -> None:
        """Learn every figure `seen`; the quarters' and years' too if `periods`."""
        self.axes = (MONTHS, [b or "none" for b in BODIES], THEMES, REGIONS, STATUSES)
        self.equal: list[tuple[numpy.ndarray, float]] = []
        self.at_most: list[tuple[numpy.ndarray, float]] = []  # row . x <= bound
        self.small: list[tuple[Population, str]] = []
        for (population, measure), figure in seen.items():
            if periods or figure["section"] not in ("quarters", "years"):
                self._learn(population, measure, figure)
        # Counts published as 0 leave no case behind them: those unknowns are 0, and out of the programme.
        zero = numpy.zeros(len(self.row(((), ANY, ANY, ANY), "received")), bool)
        for row, value in self.equal:
            zero |= (row > 0) & (value == 0)
        self.kept = ~zero
        self.a_eq, self.b_eq = self._matrix(self.equal)
        self.a_ub, self.b_ub = self._matrix(self.at_most)

    def _matrix(self, rows: list[tuple[numpy.ndarray, float]]) -> tuple[csr_matrix, numpy.ndarray]:
        unique = {(row[self.kept].tobytes(), bound): row[self.kept] for row, bound in rows}
        kept = [(row, bound) for (_, bound), row in unique.items() if row.any()]
        return csr_matrix(numpy.array([row for row, _ in kept])), numpy.array([bound for _, bound in kept], float)

    def row(self, population: Population, measure: str) -> numpy.ndarray:
        months, *members = population
        masks = [numpy.isin(MONTHS, months)]
        for axis, member in zip(self.axes[1:4], members, strict=True):
            masks.append(numpy.array([member in (ANY, m) for m in axis]))
        masks.append(numpy.isin(STATUSES, COUNTS[measure]))
        indicator = masks[0]
        for mask in masks[1:]:
            indicator = numpy.multiply.outer(indicator, mask)
        return indicator.ravel().astype(float)

    def _learn(self, population: Population, measure: str, figure: dict) -> None:
        row = self.row(population, measure)
        if figure["value"] is not None:
            self.equal.append((row, figure["value"]))
        elif figure["note"] == f"fewer than {THRESHOLD}":  # from 0 to 4: a zero is published so too
            self.at_most.append((row, THRESHOLD - 1))
            self.small.append((population, measure))
        elif figure["at_least"] is not None:
            self.at_most.append((-row, -figure["at_least"]))
        elif figure["note"] == "withheld" and len(population[0]) in (1, len(MONTHS)):
            self.at_most.append((-row, -1))  # a protected cell withheld: at least something (at least 5 in fact)
        # A range of months none of which is shown is withheld, whatever its sum (0 too).

    def bounds(self, population: Population, measure: str) -> tuple[float, float]:
        """The least and the greatest the count can be, given everything learnt."""
        target = self.row(population, measure)[self.kept]
        found = []
        for sign in (1, -1):
            result = linprog(sign * target, A_ub=self.a_ub, b_ub=self.b_ub, A_eq=self.a_eq, b_eq=self.b_eq,
                             bounds=(0, None), method="highs")
            assert result.status == 0, result.message  # the truth is a solution: never infeasible
            found.append(round(sign * result.fun, 6))
        return found[0], found[1]


def everything_published(client) -> dict[tuple[Population, str], dict]:
    seen: dict[tuple[Population, str], dict] = {}
    for query, scope in every_filter():
        response = client.get(f"/transparency/statistics.json?{query}")
        assert response.status_code == 200, query
        for population, measure, figure in published(response.get_json(), scope):
            first = seen.setdefault((population, measure), figure)
            # One figure whatever the filter (kept under the section it first came in).
            assert {**first, "section": ""} == {**figure, "section": ""}, (population, measure)
    return seen


def follows_from_months(figure: dict, months: list[dict]) -> bool:
    """Whether a quarter's or year's figure is what its months, as published, already say."""
    exact = [m["value"] for m in months if m["value"] is not None]
    hidden = [m for m in months if m["value"] is None]
    if figure["value"] is not None:
        return not hidden and figure["value"] == sum(exact)
    if figure["at_least"] is not None:
        return bool(hidden) and figure["at_least"] == sum(exact) > 0
    if len(months) == 1:
        return figure["note"] == months[0]["note"]
    return figure["note"] == "withheld" and not exact


@pytest.mark.parametrize("seed", range(1, 9))
def test_each_quarter_and_year_is_what_its_published_months_say(client, clock, seed):
    """So they give nothing away that the months do not: no quarter holds a figure of its own."""
    clock.now = NOW
    store_rollup(seed)
    seen = everything_published(client)
    periods = [(population, measure, figure) for (population, measure), figure in seen.items()
               if figure["section"] in ("quarters", "years") and len(population[0]) < len(MONTHS)]
    assert sum(f["value"] is not None for _, _, f in periods) > 10  # a month of none makes its quarter "at least"
    assert sum(f["at_least"] is not None for _, _, f in periods) > 10
    for (months, *members), measure, figure in periods:
        # The current month, after the last month of the rollup, adds nothing to the sums.
        published_months = [seen[(((month,), *members), measure)] for month in months if month != MONTHS[-1]]
        assert follows_from_months(figure, published_months), (months, members, measure, figure)


@pytest.mark.parametrize("seed", [2, 5])
def test_quarters_and_years_narrow_no_small_count(client, clock, seed):
    """Linear programmes over everything published: for each count published as "fewer than 5" (the first
    40), the least and the greatest it can be are the same whether the attacker also has the quarters and
    years or not."""
    clock.now = NOW
    store_rollup(seed)
    seen = everything_published(client)
    without, including = Attacker(seen, periods=False), Attacker(seen, periods=True)
    assert len(including.small) > 40 and including.a_eq.shape[0] >= without.a_eq.shape[0]
    narrowed = [(population, measure, without.bounds(population, measure), bounds)
                for population, measure in sorted(including.small)[:40]
                if (bounds := including.bounds(population, measure)) != without.bounds(population, measure)]
    assert not narrowed, f"{len(narrowed)} small counts narrowed by quarters or years, e.g. {narrowed[:3]}"


SAMPLED_SMALL_COUNTS = 300


def test_no_small_count_is_pinned_down_by_its_lower_bounds(client, clock):
    """Every count published as "fewer than 5" can still be at least two numbers, unless it can only be 0.

    Before zeros were published as "fewer than 5", a note meant 1 to 4, and several hidden months adding up
    to as many cases as there are hidden months (or to 4 each) pinned about 350 counts of this data set.
    A linear programme per count costs about 0.06 s, so the test solves a fixed sample of SAMPLED_SMALL_COUNTS of
    the 900 and more (checking them all found none pinned, and the old rule had one pinned count in three)."""
    clock.now = NOW
    store_rollup(1)
    attacker = Attacker(everything_published(client), periods=True)
    assert len(attacker.small) > 900
    for population, measure in random.Random(1).sample(sorted(attacker.small), SAMPLED_SMALL_COUNTS):
        low, high = attacker.bounds(population, measure)
        possible = range(math.ceil(low - 1e-6), math.floor(high + 1e-6) + 1)
        assert len(possible) >= 2 or list(possible) == [0], (population, measure, low, high)


# ---------------------------------------------------------------- the page and the exports

def _quiet_body(client, seed: int = 2) -> str:
    store_rollup(seed)
    return client.get(f"/transparency?period=all&body={QUIET}").get_data(as_text=True)


def test_a_body_with_small_months_is_shown_by_quarter_and_year(client, clock):
    clock.now = NOW
    page = _quiet_body(client)
    assert "Monthly figures are too small to publish safely; showing quarters." in page
    assert 'id="chart-quarters-title"' in page and 'data-period="2026-Q1"' in page
    assert "Some quarters are too small to publish as well; showing years." in page
    assert 'data-period="2026"' in page

    data = client.get(f"/transparency/statistics.json?period=all&body={QUIET}").get_json()
    assert [q["code"] for q in data["quarters"]] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1"]
    assert [y["code"] for y in data["years"]] == ["2025", "2026", "2027"]
    # Nothing new: each quarter and year reads exactly as the same months asked for as a period.
    for group in data["quarters"] + data["years"]:
        months = quarter_months(group["code"]) if "-Q" in group["code"] else [m for m in MONTHS if m[:4] == group["code"]]
        ranged = client.get(f"/transparency/statistics.json?from_month={months[0]}&to_month={months[-1]}"
                            f"&body={QUIET}").get_json()["overall"]
        # A period has the counts and shares of a month (the whole choice has more, and medians).
        names = set(group["counts"]) | {f"share_{name}" for name in group["shares"]} | set(group["shares"])
        for key in ("counts", "shares", "not_shown", "at_least"):
            assert {k: v for k, v in ranged.get(key, {}).items() if k in names} == {
                k: v for k, v in group.get(key, {}).items() if k in names}, (group["code"], key)

    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/transparency/statistics.csv?period=all&body={QUIET}").get_data(as_text=True))))
    assert {(r["section"], r["code"]) for r in rows if r["measure"] == "received"} >= {
        ("quarter", "2026-Q1"), ("year", "2026")}


def test_a_choice_whose_months_are_published_shows_no_quarters(client, clock):
    clock.now = NOW
    store_rollup(2)
    data = client.get("/transparency/statistics.json?from_month=2026-01&to_month=2026-12").get_json()
    assert all(m["counts"]["received"] is not None for m in data["months"])  # every month published
    page = client.get("/transparency?from_month=2026-01&to_month=2026-12").get_data(as_text=True)
    assert "showing quarters" not in page and 'id="chart-quarters-title"' not in page
    assert 'id="withheld-notice"' not in page
