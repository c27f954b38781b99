"""The public statistics as published: tallies grouped for the page and exports, with suppression applied.

Every count goes through one CountTable, so that no figure can be worked out by subtraction from the
others on the same page; shares, medians and averages follow the derived-figure rule.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from civicwatch.cases.models import Outcome, RemedyStatus
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body, Region, Theme
from civicwatch.transparency.statistics import (
    ACKNOWLEDGE,
    CLOSE,
    StatisticsFilter,
    Tallies,
    collect_tallies,
    months_between,
)
from civicwatch.transparency.suppression import EMPTY, CountTable, Figure, Suppression, median_bucket

SATISFACTION_SCORES = (1, 2, 3, 4, 5)
OUTCOMES = tuple(o.value for o in Outcome)
REMEDIES = tuple(s.value for s in RemedyStatus)
# Counts published for every group, and how they add up inside a group: (parts, total).
STATUS_COUNTS = ("received", "open", "closed", "in_progress", "answered", "closed_answered", "rejected",
                 "referred", "withdrawn")
STATUS_LINES = (
    (("open", "closed"), "received"),
    (("in_progress", "answered"), "open"),
    (("closed_answered", "rejected", "referred", "withdrawn"), "closed"),
)
# Counts published for the whole period and for each body only.
DETAIL_COUNTS = ("ack_due", "ratings", *(f"rated_{s}" for s in SATISFACTION_SCORES), "with_outcome",
                 *(f"outcome_{o}" for o in OUTCOMES), "rec_made", *(f"rec_{r}" for r in REMEDIES))
DETAIL_LINES = (
    (tuple(f"rated_{s}" for s in SATISFACTION_SCORES), "ratings"),
    (tuple(f"outcome_{o}" for o in OUTCOMES), "with_outcome"),
    (tuple(f"rec_{r}" for r in REMEDIES), "rec_made"),
)
UNKNOWN = "none"  # the code of the group of cases with no body, theme or region yet
UNKNOWN_NAMES = ("Not yet with an oversight body", "Not yet classified", "Not stated")
TableKey = tuple[str, str, str]  # (section, group code, count name): a count in the CountTable


@dataclass
class GroupFigures:
    """The published figures of one group of cases: the whole period, a body, a month, a theme, a region."""

    code: str
    name: str
    counts: dict[str, Figure] = field(default_factory=dict)
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

    def sections(self) -> Iterable[tuple[str, list[GroupFigures]]]:
        yield "overall", [self.overall]
        yield "body", self.bodies
        yield "month", self.months
        yield "theme", self.themes
        yield "region", self.regions


# ---------------------------------------------------------------- building

@dataclass
class _Group:
    """Raw numbers of one group while the report is being built."""

    code: str
    name: str
    tally: Counter[str] = field(default_factory=Counter)
    ack_hours: Counter[int] = field(default_factory=Counter)
    close_days: Counter[int] = field(default_factory=Counter)
    body: Body | None = None


def build_report(query: StatisticsFilter, threshold: int, month_range: tuple[str, str]) -> Report:
    """Collect the tallies for `query` and publish them. `month_range` bounds the monthly trend."""
    tallies = collect_tallies(query)
    names = _Names.load()
    overall, bodies, months, themes, regions = _group(tallies, names, query, month_range)
    rules = Suppression(threshold)
    table: CountTable[TableKey] = CountTable(rules)
    dimensions = {"body": bodies, "month": months, "theme": themes, "region": regions}
    _fill_table(table, overall, dimensions)
    protected: dict[tuple[str, str], dict[str, Figure]] = {}
    for (section, code, name), figure in table.protect().items():
        protected.setdefault((section, code), {})[name] = figure

    def publish(section: str, group: _Group) -> GroupFigures:
        return _publish(section, group, protected.get((section, group.code), {}), rules)

    return Report(
        query=query, threshold=threshold, generated_at=tallies.as_of or utcnow(),
        overall=publish("overall", overall), bodies=[publish("body", g) for g in bodies],
        months=[publish("month", g) for g in months], themes=[publish("theme", g) for g in themes],
        regions=[publish("region", g) for g in regions],
    )


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


def _group(
    tallies: Tallies, names: _Names, query: StatisticsFilter, month_range: tuple[str, str],
) -> tuple[_Group, list[_Group], list[_Group], list[_Group], list[_Group]]:
    """The groups to publish: every active body, theme and region (with zeros), each month of the range,
    and a group for the cases with no body, theme or region yet when there are any."""
    def catalogue(rows: dict[int, Any], dimension: int, chosen: int | None) -> dict[str | None, _Group]:
        groups: dict[str | None, _Group] = {
            str(key): _Group(row.code, row.name, body=row if dimension == 0 else None)
            for key, row in rows.items() if getattr(row, "active", True) or key == chosen}
        if chosen is not None:
            groups = {key: g for key, g in groups.items() if key == str(chosen)}
        return groups

    overall = _Group("all", "All cases", tally=tallies.groups.get(("overall", None), Counter()))
    by_dimension: dict[str, dict[str | None, _Group]] = {
        "body": catalogue(names.bodies, 0, query.body_id),
        "theme": catalogue(names.themes, 1, query.theme_id),
        "region": catalogue(names.regions, 2, query.region_id),
        "month": {m: _Group(m, _month_name(m)) for m in months_between(*month_range)},
    }
    for (dimension, key), tally in tallies.groups.items():
        if dimension == "overall":
            continue
        groups = by_dimension[dimension]
        if key not in groups:
            groups[key] = _unknown_group(dimension, key, names)
        groups[key].tally = tally
    for body_id, histogram in tallies.durations[ACKNOWLEDGE].items():
        overall.ack_hours.update(histogram)
        if str(body_id) in by_dimension["body"] or body_id is None:
            _body_group(by_dimension["body"], body_id, names).ack_hours.update(histogram)
    for body_id, histogram in tallies.durations[CLOSE].items():
        overall.close_days.update(histogram)
        if str(body_id) in by_dimension["body"] or body_id is None:
            _body_group(by_dimension["body"], body_id, names).close_days.update(histogram)
    for group in (overall, *(g for groups in by_dimension.values() for g in groups.values())):
        _derive_counts(group)
    months = by_dimension["month"]
    return (overall, _ordered(by_dimension["body"]), [months[m] for m in sorted(months, key=str)],
            _ordered(by_dimension["theme"]), _ordered(by_dimension["region"]))


def _unknown_group(dimension: str, key: str | None, names: _Names) -> _Group:
    """A group the catalogue did not list: the cases with none, an inactive body or theme, a stray month."""
    if dimension == "month":
        return _Group(key or UNKNOWN, _month_name(key) if key else UNKNOWN_NAMES[0])
    index = ("body", "theme", "region").index(dimension)
    source = (names.bodies, names.themes, names.regions)[index]
    row = source.get(int(key)) if key is not None else None
    if row is None:
        return _Group(UNKNOWN, UNKNOWN_NAMES[index])
    # row is a Body exactly when dimension is "body".
    return _Group(row.code, row.name, body=row if isinstance(row, Body) else None)


def _body_group(groups: dict[str | None, _Group], body_id: int | None, names: _Names) -> _Group:
    key = None if body_id is None else str(body_id)
    if key not in groups:
        groups[key] = _unknown_group("body", key, names)
    return groups[key]


def _ordered(groups: dict[Any, _Group]) -> list[_Group]:
    # By name, with the "not yet known" group last.
    return sorted(groups.values(), key=lambda g: (g.code == UNKNOWN, g.name))


def _derive_counts(group: _Group) -> None:
    tally = group.tally
    tally["open"] = tally["in_progress"] + tally["answered"]
    tally["closed"] = tally["closed_answered"] + tally["rejected"] + tally["referred"] + tally["withdrawn"]
    tally["ack_due"] = tally["acknowledged"] + tally["ack_overdue"]
    tally["with_outcome"] = sum(tally[f"outcome_{o}"] for o in OUTCOMES)
    tally["rec_made"] = sum(tally[f"rec_{r}"] for r in REMEDIES)
    tally["satisfied"] = tally["rated_4"] + tally["rated_5"]


def _month_name(month: str) -> str:
    year, number = month.split("-")
    return dt.date(int(year), int(number), 1).strftime("%b %Y")


def _fill_table(table: CountTable[TableKey], overall: _Group, dimensions: dict[str, list[_Group]]) -> None:
    def key(section: str, group: _Group, name: str) -> TableKey:
        return (section, group.code, name)

    detailed = [("overall", overall)] + [("body", g) for g in dimensions["body"]]
    everyone = detailed + [(section, g) for section in ("month", "theme", "region") for g in dimensions[section]]
    for section, group in everyone:
        names = STATUS_COUNTS + (DETAIL_COUNTS if section in ("overall", "body") else ())
        for name in names:
            table.set_count(key(section, group, name), group.tally[name])
        lines = STATUS_LINES + (DETAIL_LINES if section in ("overall", "body") else ())
        for parts, total in lines:
            table.add_line([key(section, group, part) for part in parts], key(section, group, total))
    for section, groups in dimensions.items():
        names = STATUS_COUNTS + (DETAIL_COUNTS if section == "body" else ())
        for name in names:
            table.add_line([key(section, g, name) for g in groups], key("overall", overall, name))


def _publish(section: str, group: _Group, counts: dict[str, Figure], rules: Suppression) -> GroupFigures:
    tally = group.tally
    figures = GroupFigures(code=group.code, name=group.name, counts=counts)
    figures.shares = {
        "acknowledged_in_time": rules.share(tally["ack_on_time"], tally["ack_due"]),
        "closed_within_target": rules.share(tally["close_on_time"], tally["close_due"]),
        # Cases still in the triage queue have not been routed at all, by hand or otherwise.
        "routed_by_hand": EMPTY if (section, group.code) == ("body", UNKNOWN) else rules.share(
            tally["by_hand"], tally["received"]),
        "satisfied": rules.share(tally["satisfied"], tally["ratings"]),
    }
    ack_hours, close_days = median_bucket(group.ack_hours), median_bucket(group.close_days)
    figures.days = {
        # Whole hours to acknowledge, placed mid-hour; whole days to close, as counted for the targets.
        "to_acknowledge": rules.statistic(None if ack_hours is None else (ack_hours + 0.5) / 24,
                                          sum(group.ack_hours.values())),
        "to_close": rules.statistic(close_days, sum(group.close_days.values())),
    }
    mean = tally["rating_sum"] / tally["ratings"] if tally["ratings"] else None
    figures.mean_rating = rules.statistic(mean, tally["ratings"])
    if group.body is not None:
        figures.target_acknowledged_share = group.body.target_acknowledged_share
        figures.target_closed_within_days = group.body.target_closed_within_days
    return figures

