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


def build_report(query: StatisticsFilter, now: dt.datetime, threshold: int,
                 month_range: tuple[str, str]) -> Report:
    """Collect the tallies for `query` and publish them. `month_range` bounds the monthly trend."""
    tallies = collect_tallies(query, now)
    names = _Names.load()
    overall, bodies, months, themes, regions = _group(tallies, names, query, month_range)
    rules = Suppression(threshold)
    table = CountTable(rules)
    dimensions = {"body": bodies, "month": months, "theme": themes, "region": regions}
    _fill_table(table, overall, dimensions)
    protected = table.protect()

    def publish(section: str, group: _Group) -> GroupFigures:
        return _publish(section, group, protected, rules)

    return Report(
        query=query, threshold=threshold, generated_at=now, overall=publish("overall", overall),
        bodies=[publish("body", g) for g in bodies], months=[publish("month", g) for g in months],
        themes=[publish("theme", g) for g in themes], regions=[publish("region", g) for g in regions],
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


def _group(tallies: Tallies, names: _Names, query: StatisticsFilter, month_range: tuple[str, str]):
    overall = _Group("all", "All cases")
    bodies = {body_id: _Group(body.code, body.name, body=body) for body_id, body in names.bodies.items()
              if body.active or body_id == query.body_id}
    themes = {theme_id: _Group(theme.code, theme.name) for theme_id, theme in names.themes.items() if theme.active}
    regions = {region_id: _Group(region.code, region.name) for region_id, region in names.regions.items()}
    months = {month: _Group(month, _month_name(month)) for month in months_between(*month_range)}

    def group_of(groups: dict, key: Any, dimension: int, source: dict) -> _Group:
        if key not in groups:
            row = source.get(key) if key is not None else None
            groups[key] = (_Group(row.code, row.name, body=row if dimension == 0 else None) if row is not None
                           else _Group(UNKNOWN, UNKNOWN_NAMES[dimension]))
        return groups[key]

    for cells in (tallies.cells, tallies.open_cases):
        for (body_id, theme_id, region_id, month), counts in cells.items():
            for target in (overall, group_of(bodies, body_id, 0, names.bodies),
                           group_of(themes, theme_id, 1, names.themes), group_of(regions, region_id, 2, names.regions),
                           months.setdefault(month, _Group(month, _month_name(month)))):
                target.tally.update(counts)
    for body_id, histogram in tallies.durations[ACKNOWLEDGE].items():
        overall.ack_hours.update(histogram)
        group_of(bodies, body_id, 0, names.bodies).ack_hours.update(histogram)
    for body_id, histogram in tallies.durations[CLOSE].items():
        overall.close_days.update(histogram)
        group_of(bodies, body_id, 0, names.bodies).close_days.update(histogram)
    if query.body_id is not None:
        bodies = {key: g for key, g in bodies.items() if key == query.body_id}
    if query.theme_id is not None:
        themes = {key: g for key, g in themes.items() if key == query.theme_id}
    if query.region_id is not None:
        regions = {key: g for key, g in regions.items() if key == query.region_id}
    for group in (overall, *bodies.values(), *months.values(), *themes.values(), *regions.values()):
        _derive_counts(group)
    _close_within_targets(overall, bodies)
    return (overall, _ordered(bodies), [months[m] for m in sorted(months)], _ordered(themes), _ordered(regions))


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


def _close_within_targets(overall: _Group, bodies: dict[Any, _Group]) -> None:
    """Closed within the body's target: closed cases that took at most that many whole days, out of the
    cases closed plus those still open past the target. The whole period adds up each body's own target."""
    for group in bodies.values():
        if group.body is None:
            continue
        target = group.body.target_closed_within_days
        group.tally["close_on_time"] = sum(n for days, n in group.close_days.items() if days <= target)
        group.tally["close_due"] = group.tally["closed"] + group.tally["close_overdue"]
        overall.tally["close_on_time"] += group.tally["close_on_time"]
        overall.tally["close_due"] += group.tally["close_due"]


def _month_name(month: str) -> str:
    year, number = month.split("-")
    return dt.date(int(year), int(number), 1).strftime("%b %Y")


def _fill_table(table: CountTable, overall: _Group, dimensions: dict[str, list[_Group]]) -> None:
    def key(section: str, group: _Group, name: str) -> tuple[str, str, str]:
        return (section, group.code, name)

    detailed = [("overall", overall)] + [("body", g) for g in dimensions["body"]]
    everyone = detailed + [(section, g) for section in ("month", "theme", "region") for g in dimensions[section]]
    for section, group in everyone:
        names = STATUS_COUNTS + (DETAIL_COUNTS if section in ("overall", "body") else ())
        for name in names:
            table.set(key(section, group, name), group.tally[name])
        lines = STATUS_LINES + (DETAIL_LINES if section in ("overall", "body") else ())
        for parts, total in lines:
            table.add_line([key(section, group, part) for part in parts], key(section, group, total))
    for section, groups in dimensions.items():
        names = STATUS_COUNTS + (DETAIL_COUNTS if section == "body" else ())
        for name in names:
            table.add_line([key(section, g, name) for g in groups], key("overall", overall, name))


def _publish(section: str, group: _Group, protected: dict, rules: Suppression) -> GroupFigures:
    tally = group.tally
    counts = {name: figure for (sec, code, name), figure in protected.items() if sec == section and code == group.code}
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

