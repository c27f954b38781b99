"""The one protected table behind every published statistic.

The public can ask for any range of months and any body, theme and region. If each request protected its own
figures, two overlapping requests would give a hidden count away by subtraction (December 2025 to December
2026, less January 2026 to December 2026, is December 2025), and a total withheld on one page would be shown on
another. So the counts are protected once per rollup refresh, all together, in a cube: every count for each
(month, or all months) x (body, none or all) x (theme, none or all) x (region, none or all), with lines along
every dimension (the parts add up to the "all" cell, whatever the other coordinates) and between the counts of
a cell, protected by `suppression.protect_counts`. Every published count is read from it:
- one month, or every month of the rollup: its protected cell;
- any other range: the sum of its protected month cells. When one of them is hidden the sum is published as
  "at least N" (N adds up the months shown), so two ranges never reveal more than their months do; a range
  with none of its months shown is withheld.
A count of 0 is published as "fewer than N" like a small one (suppression.py, rule 5), and a month of none
counts as hidden in a sum: what a range publishes depends only on what its months publish.
A share is published only when every count it rests on is (`SliceFigures.share`); a median only when the count
of cases behind it is published (or would be: the count of cases acknowledged is protected but not printed) and
no month of its slice has a small number of cases behind it (`SliceFigures.months_ok`).
The cube is built once per process and refresh (`statistics_cube`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy
from flask import current_app
from numpy.typing import NDArray

from civicwatch.transparency.models import CELL_MEASURES
from civicwatch.transparency.publications import Published, last_publication
from civicwatch.transparency.statistics import months_between, rollup_cells, rollup_refreshed_at
from civicwatch.transparency.suppression import (
    SHOWN_CODE,
    WITHHELD,
    WITHHELD_CODE,
    Figure,
    FigureState,
    Suppression,
    protect_counts,
    published_figure,
)

SATISFACTION_SCORES = (1, 2, 3, 4, 5)
OUTCOMES = tuple(name.removeprefix("outcome_") for name in CELL_MEASURES if name.startswith("outcome_"))
REMEDIES = tuple(name.removeprefix("rec_") for name in CELL_MEASURES if name.startswith("rec_"))
# Counts that add up inside a cell: (parts, total).
STATUS_LINES = (
    (("open", "closed"), "received"),
    (("in_progress", "answered"), "open"),
    (("closed_answered", "rejected", "referred", "withdrawn"), "closed"),
)
DETAIL_LINES = (
    (tuple(f"rated_{s}" for s in SATISFACTION_SCORES), "ratings"),
    (tuple(f"outcome_{o}" for o in OUTCOMES), "with_outcome"),
    (tuple(f"rec_{r}" for r in REMEDIES), "rec_made"),
)
# The counts behind the shares: a share and its denominator give its numerator away, so they are protected
# like any published count.
SHARE_LINES = (
    (("by_hand", "by_machine"), "received"),
    (("ack_on_time", "ack_late"), "ack_due"),
    (("close_on_time", "close_late"), "close_due"),
)
LINES = STATUS_LINES + DETAIL_LINES + SHARE_LINES
# Not published: how many cases the median time to acknowledge describes. Protected all the same (along every
# dimension), so that the median is withheld wherever this count would be: two medians of groups that differ by a
# hidden count (a body's, and the body's for one theme, when the other themes hold one case) describe that count.
BEHIND_MEDIANS = ("acknowledged",)
# Not published either: how many cases the counts of recommendations rest on (a case can hold many, so six
# recommendations can be one complaint's). Protected along every dimension; wherever it is not published, neither
# is any count of recommendations (`_withhold_recommendations`).
REC_CASES = "cases_with_recommendations"
MEASURES: tuple[str, ...] = tuple(dict.fromkeys(
    name for parts, total in LINES for name in (*parts, total))) + BEHIND_MEDIANS + (REC_CASES,)
RECOMMENDATION_COUNTS = ("rec_made", *(f"rec_{r}" for r in REMEDIES))

ALL: Literal["all"] = "all"
Member = int | None | Literal["all"]  # a body, theme or region id; None: the cases with none yet; ALL: every one
DIMENSIONS = ("body", "theme", "region")
_CACHE = "civicwatch.statistics_cube"


@dataclass(frozen=True)
class Slice:
    """The cases of a range of months ('YYYY-MM', both included; None: no limit), one body, theme and region."""

    first_month: str | None = None
    last_month: str | None = None
    body: Member = ALL
    theme: Member = ALL
    region: Member = ALL

    def member(self, dimension: str) -> Member:
        member: Member = getattr(self, dimension)
        return member


@dataclass(frozen=True)
class SliceFigures:
    """Every count of one slice as published, and what a share or median of it may rest on."""

    rules: Suppression
    counts: dict[str, Figure]
    uneven: frozenset[str]  # counts with from 1 to threshold - 1 cases in some month of the slice

    def count(self, measure: str) -> Figure:
        return self.counts[measure]

    def share(self, numerators: Sequence[str], denominator: str) -> Figure:
        """Σ numerators / denominator, published only when every count it rests on is."""
        base = self.counts[denominator]
        parts = [self.counts[name] for name in numerators]
        if not base.shown or not all(part.shown for part in parts):
            return WITHHELD
        return self.rules.share(sum(int(part.value or 0) for part in parts), int(base.value or 0))

    def months_ok(self, measure: str) -> bool:
        """Whether no month of the slice has from 1 to threshold - 1 cases of `measure`: the test for a median,
        so that two ranges of months never describe populations that differ by a few cases."""
        return measure not in self.uneven


@dataclass(frozen=True)
class Cube:
    """Counts and their protected states, indexed [month, body, theme, region, measure]; the last position
    of each dimension is "all"."""

    rules: Suppression
    as_of: dt.datetime | None
    months: tuple[str, ...]
    members: dict[str, dict[int | None, int]]  # dimension -> id -> position
    values: NDArray[numpy.int64]
    states: NDArray[numpy.uint8]

    def members_of(self, dimension: str) -> list[int | None]:
        """The bodies, themes or regions the rollup has cases for (None: cases with none yet)."""
        return list(self.members[dimension])

    def read(self, where: Slice) -> SliceFigures:
        """Every count of the slice: exact, hidden, or 'at least' for months some of which are hidden."""
        coordinates, months = self._coordinates(where), self._month_positions(where)
        if coordinates is None or not months:  # no case: read like a cell of none
            values, states = numpy.zeros((1, len(MEASURES)), numpy.int64), numpy.zeros((1, len(MEASURES)), numpy.uint8)
            _withhold_recommendations(values, states, self.rules)
            return SliceFigures(self.rules, dict(zip(MEASURES, _sums(values, states, self.rules), strict=True)),
                                frozenset())
        values, states = self.values[(months, *coordinates)], self.states[(months, *coordinates)]
        is_small = (values > 0) & (values < self.rules.threshold)
        uneven = frozenset(MEASURES[i] for i in numpy.flatnonzero(is_small.any(axis=0)))
        if len(months) == len(self.months):  # every month: the protected "all months" cell
            values, states = self.values[(len(self.months), *coordinates)][None], self.states[
                (len(self.months), *coordinates)][None]
        return SliceFigures(self.rules, dict(zip(MEASURES, _sums(values, states, self.rules), strict=True)), uneven)

    def _coordinates(self, where: Slice) -> tuple[int, int, int] | None:
        positions = []
        for dimension in DIMENSIONS:
            member, members = where.member(dimension), self.members[dimension]
            if member == ALL:
                positions.append(len(members))
            elif member in members:
                positions.append(members[member])
            else:
                return None  # no case has it
        return positions[0], positions[1], positions[2]

    def _month_positions(self, where: Slice) -> list[int]:
        first, last = where.first_month or "", where.last_month or "9999-12"
        return [i for i, month in enumerate(self.months) if first <= month <= last]


def _sums(values: NDArray[numpy.int64], states: NDArray[numpy.uint8], rules: Suppression) -> list[Figure]:
    """The figure of each measure over months (rows): their sum, or 'at least' the months shown."""
    if len(values) == 1:
        return [published_figure(value, state, rules)
                for value, state in zip(values[0].tolist(), states[0].tolist(), strict=True)]
    # A zero month reads "fewer than N" like a small one.
    shown = (states == SHOWN_CODE) & ((values != 0) | (rules.threshold <= 1))
    figures = []
    for total, bound, hidden in zip(values.sum(axis=0).tolist(), numpy.where(shown, values, 0).sum(axis=0).tolist(),
                                    (~shown).sum(axis=0).tolist(), strict=True):
        if not hidden:
            figures.append(published_figure(total, SHOWN_CODE, rules))
        elif bound:
            figures.append(Figure(bound, FigureState.AT_LEAST))
        else:
            figures.append(WITHHELD)
    return figures


# ---------------------------------------------------------------- building

def statistics_cube(threshold: int) -> Cube:
    """The protected cube of the current rollup, built once per process until the rollup is refreshed, from the
    last publication's states (publications.py): every process builds the same one."""
    as_of = rollup_refreshed_at()
    cached = current_app.extensions.get(_CACHE)
    if cached is not None and cached.as_of == as_of and cached.rules.threshold == threshold:
        return cached
    cube = build_cube(rollup_cells(), Suppression(threshold), as_of, last_publication())
    current_app.extensions[_CACHE] = cube
    return cube


def forget_statistics_cube() -> None:
    """After a refresh in this process (its time alone may not tell: a clock can stand still in tests)."""
    current_app.extensions.pop(_CACHE, None)


def build_cube(rows: Iterable[Sequence[Any]], rules: Suppression, as_of: dt.datetime | None,
               before: Published | None = None) -> Cube:
    """Protect rollup rows (month, body_id, theme_id, region_id, *CELL_MEASURES) as one cube; `before`, the last
    publication, whose hidden counts stay hidden while they count the same (suppression.py, rule 6)."""
    rows = list(rows)
    months = tuple(months_between(min(r[0] for r in rows), max(r[0] for r in rows))) if rows else ()
    members = {dimension: _positions(row[1 + d] for row in rows) for d, dimension in enumerate(DIMENSIONS)}
    month_at = {month: i for i, month in enumerate(months)}
    shape = (len(months) + 1, *(len(members[d]) + 1 for d in DIMENSIONS), len(MEASURES))
    values = numpy.zeros(shape, numpy.int64)
    if rows:
        atoms = numpy.array([row[4:] for row in rows], numpy.int64)
        index = ([month_at[r[0]] for r in rows], *([members[d][r[1 + i]] for r in rows]
                                                   for i, d in enumerate(DIMENSIONS)))
        numpy.add.at(values, index, _measures(atoms))
    for axis in range(4):  # the "all" position of each dimension: the sum of the others
        moved = numpy.moveaxis(values, axis, 0)
        moved[-1] = moved[:-1].sum(axis=0)
    states = numpy.zeros(shape, numpy.uint8)
    kept = known = None
    if before is not None:
        kept, known = before.carried_over(_axes(months, members), values)
        # Counts of recommendations are withheld with the count of cases behind them, not by lines of their own.
        kept[..., [MEASURES.index(name) for name in RECOMMENDATION_COUNTS]] = False
    for group, lines in _independent(list(range(len(MEASURES)))):
        states[..., group] = protect_counts(values[..., group], rules, lines,
                                            None if kept is None else kept[..., group],
                                            None if known is None else known[..., group])
    _withhold_recommendations(values, states, rules)
    return Cube(rules, as_of, months, members, values, states)


def as_published(cube: Cube) -> Published:
    """The cube as its pages show it, to be kept for the next publication."""
    return Published(_axes(cube.months, cube.members), cube.values, cube.states)


def _axes(months: Sequence[str], members: dict[str, dict[int | None, int]]) -> list[list[object]]:
    """The keys of the cube's positions: months, bodies, themes and regions, each with ALL last, then measures."""
    axes: list[list[object]] = [[*months, ALL]]
    for dimension in DIMENSIONS:
        axes.append([*members[dimension], ALL])
    return [*axes, list(MEASURES)]


def _withhold_recommendations(values: NDArray[numpy.int64], states: NDArray[numpy.uint8], rules: Suppression) -> None:
    """Every count of recommendations of a cell is withheld unless the count of cases behind them would be published.
    All of them, zeros and small counts too: that only some read "withheld" would tell there are some. Hiding more
    never reveals more: a line that leaves hidden counts of recommendations to work out together leaves cases with
    recommendations (at least the threshold of them, by the protection of that count) behind them."""
    at = MEASURES.index(REC_CASES)
    published = (states[..., at] == SHOWN_CODE) & ((values[..., at] != 0) | (rules.threshold <= 1))
    for name in RECOMMENDATION_COUNTS:
        column = states[..., MEASURES.index(name)]
        column[~published] = WITHHELD_CODE


def _positions(ids: Iterable[int | None]) -> dict[int | None, int]:
    present = set(ids)
    ordered = sorted(i for i in present if i is not None) + ([None] if None in present else [])
    return {member: position for position, member in enumerate(ordered)}


def _measures(atoms: NDArray[numpy.int64]) -> NDArray[numpy.int64]:
    """The cube's measures, from the rollup's columns (CELL_MEASURES), for each row."""
    raw = {name: atoms[:, i] for i, name in enumerate(CELL_MEASURES)}
    derived = {
        "open": raw["in_progress"] + raw["answered"],
        "closed": raw["closed_answered"] + raw["rejected"] + raw["referred"] + raw["withdrawn"],
        "by_machine": raw["received"] - raw["by_hand"],
        "ack_due": raw["acknowledged"] + raw["ack_overdue"],
        "with_outcome": sum(raw[f"outcome_{o}"] for o in OUTCOMES),
        "rec_made": sum(raw[f"rec_{r}"] for r in REMEDIES),
        "close_late": raw["close_due"] - raw["close_on_time"],
    }
    derived["ack_late"] = derived["ack_due"] - raw["ack_on_time"]
    columns = {**raw, **derived}
    return numpy.stack([columns[name] for name in MEASURES], axis=1)


def _independent(protected: list[int]) -> list[tuple[list[int], list[tuple[list[int], int]]]]:
    """The measures in groups that share no line, each with its lines as positions within the group: they
    are protected one group at a time (less to go over again when a count is withheld)."""
    group_of = {m: {m} for m in protected}
    for parts, total in LINES:
        joined = set().union(*(group_of[MEASURES.index(n)] for n in (*parts, total)))
        for member in joined:
            group_of[member] = joined
    groups = []
    for group in {id(g): sorted(g) for g in group_of.values()}.values():
        local = {measure: i for i, measure in enumerate(group)}
        lines = [([local[MEASURES.index(p)] for p in parts], local[MEASURES.index(total)])
                 for parts, total in LINES if MEASURES.index(total) in local]
        groups.append((group, lines))
    return groups
