"""The public statistics as published: figures grouped for the page and exports, read from the protected cube.

Every count comes from the one cube protected for the current rollup (`cube.py`), so a figure is the same
whatever the filter, and no two pages together give a hidden count away. A share is published only when
the counts it rests on are; a median only when it describes no month with from 1 to threshold - 1 cases,
and the average rating only when every count of ratings is shown (it is worked out from them).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.i18n import N_
from civicwatch.taxonomy.models import Body, Region, Theme
from civicwatch.transparency.cube import (
    ALL,
    DETAIL_LINES,
    DIMENSIONS,
    OUTCOMES,
    REMEDIES,
    SATISFACTION_SCORES,
    STATUS_LINES,
    Cube,
    Member,
    Slice,
    SliceFigures,
    statistics_cube,
)
from civicwatch.transparency.statistics import (
    ACKNOWLEDGE,
    CLOSE,
    Durations,
    StatisticsFilter,
    collect_durations,
    months_between,
)
from civicwatch.transparency.suppression import EMPTY, WITHHELD, Figure, median_bucket

__all__ = ["DETAIL_LINES", "STATUS_LINES", "GroupFigures", "Report", "build_report"]

# Counts published for every group.
STATUS_COUNTS = ("received", "open", "closed", "in_progress", "answered", "closed_answered", "rejected",
                 "referred", "withdrawn")
# Counts published for the whole period and for each body only.
DETAIL_COUNTS = ("ack_due", "ratings", *(f"rated_{s}" for s in SATISFACTION_SCORES), "with_outcome",
                 *(f"outcome_{o}" for o in OUTCOMES), "rec_made", *(f"rec_{r}" for r in REMEDIES))
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
UNKNOWN = "none"  # the code of the group of cases with no body, theme or region yet
UNKNOWN_NAMES = (N_("Not yet with an oversight body"), N_("Not yet classified"), N_("Not stated"))


@dataclass
class GroupFigures:
    """The published figures of one group of cases: the whole period, a body, a month, a theme, a region."""

    code: str
    name: str
    counts: dict[str, Figure] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)  # a taxonomy entry's names in other languages
    shares: dict[str, Figure] = field(default_factory=dict)
    days: dict[str, Figure] = field(default_factory=dict)  # medians, in days
    mean_rating: Figure = EMPTY
    target_acknowledged_share: float | None = None
    target_closed_within_days: int | None = None

    def count(self, name: str) -> Figure:
        return self.counts.get(name, EMPTY)

    def share(self, name: str) -> Figure:
        return self.shares.get(name, EMPTY)

    def median(self, name: str) -> Figure:
        return self.days.get(name, EMPTY)

    def target_met(self, actual: Figure, target: float | None, lower_is_better: bool = False) -> bool | None:
        if target is None or not actual.shown or actual.value is None:
            return None
        return actual.value <= target if lower_is_better else actual.value >= target


@dataclass
class Report:
    query: StatisticsFilter
    threshold: int
    generated_at: dt.datetime
    overall: GroupFigures
    bodies: list[GroupFigures]
    months: list[GroupFigures]
    themes: list[GroupFigures]
    regions: list[GroupFigures]
    # The months again, added up by quarter and by year: for a choice whose months are too small to publish.
    quarters: list[GroupFigures] = field(default_factory=list)
    years: list[GroupFigures] = field(default_factory=list)

    def sections(self) -> Iterable[tuple[str, list[GroupFigures]]]:
        yield "overall", [self.overall]
        yield "body", self.bodies
        yield "month", self.months
        yield "quarter", self.quarters
        yield "year", self.years
        yield "theme", self.themes
        yield "region", self.regions


# ---------------------------------------------------------------- building

# The sections with the detailed counts and the medians of durations (collect_durations gathers them by body).
DETAILED_SECTIONS = ("overall", "body")


@dataclass
class _Group:
    """One group of cases while the report is being built: where it lies in the cube, and its durations."""

    code: str
    name: str
    where: Slice
    ack_hours: Counter[int] = field(default_factory=Counter)
    close_days: Counter[int] = field(default_factory=Counter)
    body: Body | None = None
    names: Mapping[str, str] = field(default_factory=dict)


def build_report(query: StatisticsFilter, threshold: int, month_range: tuple[str, str]) -> Report:
    """The published figures for `query`. `month_range` bounds the monthly trend."""
    cube = statistics_cube(threshold)
    names = _Names.load()
    base = Slice(query.first_month, query.last_month, _member(query.body_id), _member(query.theme_id),
                 _member(query.region_id))
    overall = _Group("all", "All cases", base)
    bodies = _groups(cube, names, base, "body")
    _add_durations(collect_durations(query), overall, bodies)
    trend = months_between(*month_range)
    months = [_Group(m, _month_name(m), Slice(m, m, base.body, base.theme, base.region)) for m in trend]

    def publish(section: str, groups: list[_Group]) -> list[GroupFigures]:
        return [_publish(section, group, cube) for group in groups]

    return Report(
        query=query, threshold=threshold, generated_at=cube.as_of or utcnow(),
        overall=publish("overall", [overall])[0], bodies=publish("body", bodies), months=publish("month", months),
        themes=publish("theme", _groups(cube, names, base, "theme")),
        regions=publish("region", _groups(cube, names, base, "region")),
        quarters=publish("quarter", _periods(trend, quarter_of, base)),
        years=publish("year", _periods(trend, lambda month: month[:4], base)),
    )


def quarter_of(month: str) -> str:
    """'2026-Q1' for '2026-01' to '2026-03'."""
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def _periods(months: list[str], period_of: Callable[[str], str], base: Slice) -> list[_Group]:
    """The months grouped by quarter or year, each group a range of months read like any other: the sum of
    its protected months ("at least N" when one is hidden), so it publishes nothing the months and the
    ranges of months of the filter do not."""
    grouped: dict[str, list[str]] = {}
    for month in months:
        grouped.setdefault(period_of(month), []).append(month)
    return [_Group(code, _period_name(code), Slice(inside[0], inside[-1], base.body, base.theme, base.region))
            for code, inside in grouped.items()]


def _period_name(code: str) -> str:
    if "-Q" not in code:
        return code
    year, quarter = code.split("-Q")
    first = (int(quarter) - 1) * 3
    return f"{MONTH_ABBREVIATIONS[first]} to {MONTH_ABBREVIATIONS[first + 2]} {year}"


def _member(value: int | None) -> Member:
    return ALL if value is None else value


@dataclass
class _Names:
    bodies: dict[int, Body]
    themes: dict[int, Theme]
    regions: dict[int, Region]

    @classmethod
    def load(cls) -> _Names:
        return cls(
            bodies={b.id: b for b in db.session.scalars(select(Body).order_by(Body.name))},
            themes={t.id: t for t in db.session.scalars(select(Theme).order_by(Theme.name))},
            regions={r.id: r for r in db.session.scalars(select(Region).order_by(Region.name))},
        )

    def of(self, dimension: str) -> dict[int, Any]:
        rows: dict[str, dict[int, Any]] = {"body": self.bodies, "theme": self.themes, "region": self.regions}
        return rows[dimension]


def _groups(cube: Cube, names: _Names, base: Slice, dimension: str) -> list[_Group]:
    """The groups of one dimension: the one chosen, or every active body, theme or region (with zeros) and
    any other with cases in the slice, including the cases with none yet."""
    rows = names.of(dimension)
    chosen = base.member(dimension)
    if chosen != ALL:
        members: list[int | None] = [chosen]
    else:
        active = [key for key, row in rows.items() if getattr(row, "active", True)]
        # Every other member with cases at any time: leaving out those with none in the chosen months would
        # tell that the ones listed have at least one (see cube.py).
        others = [key for key in cube.members_of(dimension) if key not in active]
        members = [*active, *others]
    groups = [_dimension_group(dimension, key, rows, _narrowed(base, dimension, key)) for key in members]
    # By name, with the "not yet known" group last.
    return sorted(groups, key=lambda g: (g.code == UNKNOWN, g.name))


def _narrowed(base: Slice, dimension: str, member: Member) -> Slice:
    return Slice(base.first_month, base.last_month, **{d: (member if d == dimension else base.member(d))
                                                        for d in DIMENSIONS})


def _dimension_group(dimension: str, key: int | None, rows: dict[int, Any], where: Slice) -> _Group:
    row = rows.get(key) if key is not None else None
    if row is None:
        return _Group(UNKNOWN, UNKNOWN_NAMES[DIMENSIONS.index(dimension)], where)
    return _Group(row.code, row.name, where, body=row if isinstance(row, Body) else None, names=row.names)


def _add_durations(durations: Durations, overall: _Group, bodies: list[_Group]) -> None:
    by_body = {group.where.body: group for group in bodies}
    for kind, target in ((ACKNOWLEDGE, "ack_hours"), (CLOSE, "close_days")):
        for body_id, histogram in durations[kind].items():
            getattr(overall, target).update(histogram)
            if body_id in by_body:
                getattr(by_body[body_id], target).update(histogram)


def _month_name(month: str) -> str:
    year, number = month.split("-")
    return dt.date(int(year), int(number), 1).strftime("%b %Y")


def _publish(section: str, group: _Group, cube: Cube) -> GroupFigures:
    published = cube.read(group.where)
    detailed = section in DETAILED_SECTIONS
    names = STATUS_COUNTS + (DETAIL_COUNTS if detailed else ())
    figures = GroupFigures(code=group.code, name=group.name, counts={n: published.count(n) for n in names},
                           names=group.names)
    figures.shares = {
        "acknowledged_in_time": published.share(["ack_on_time"], "ack_due"),
        "closed_within_target": published.share(["close_on_time"], "close_due"),
        # Cases still in the triage queue have not been routed at all, by hand or otherwise.
        "routed_by_hand": EMPTY if (section, group.code) == ("body", UNKNOWN) else published.share(
            ["by_hand"], "received"),
        "satisfied": published.share(["rated_4", "rated_5"], "ratings"),
    }
    if detailed:
        figures.days = _medians(group, published)
    figures.mean_rating = _mean_rating(published)
    if group.body is not None:
        figures.target_acknowledged_share = group.body.target_acknowledged_share
        figures.target_closed_within_days = group.body.target_closed_within_days
    return figures


def _medians(group: _Group, published: SliceFigures) -> dict[str, Figure]:
    """Only the sections whose durations are collected have medians. Elsewhere a median would be a note that
    depends on the count behind it ("withheld" for none, "no data" for one or more), which tells a "fewer than
    5" that is zero from one that is not."""
    ack_hours, close_days = median_bucket(group.ack_hours), median_bucket(group.close_days)
    return {
        # Whole hours to acknowledge, placed mid-hour; whole days to close, as counted for the targets.
        "to_acknowledge": _median(published, "acknowledged", None if ack_hours is None else (ack_hours + 0.5) / 24,
                                  group.ack_hours),
        "to_close": _median(published, "closed", close_days, group.close_days),
    }


def _median(published: SliceFigures, behind: str, value: float | None, histogram: Counter[int]) -> Figure:
    if not published.count(behind).shown:  # "no data" would tell a count shown as "fewer than 5" is zero
        return WITHHELD
    figure = published.rules.statistic(value, sum(histogram.values()))
    return figure if not figure.shown or published.months_ok(behind) else WITHHELD


def _mean_rating(published: SliceFigures) -> Figure:
    """Worked out from the counts of each rating, so it is published only when all of them are."""
    ratings = published.count("ratings")
    scores = {score: published.count(f"rated_{score}") for score in SATISFACTION_SCORES}
    if not ratings.shown or not all(figure.shown for figure in scores.values()):
        return WITHHELD
    total = sum(score * int(figure.value or 0) for score, figure in scores.items())
    return published.rules.statistic(total / int(ratings.value or 1), int(ratings.value or 0))
