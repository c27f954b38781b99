"""Small-count suppression: no published figure lets anyone work out a count between 1 and threshold - 1.

The rules, applied to every figure on every page, export and API:
1. Primary: a count from 1 to threshold - 1 is shown as "fewer than <threshold>".
2. Secondary: counts that add up are checked line by line (a line: some parts and their total). A line with
   exactly one hidden figure would give it away by subtraction; so would a line whose shown total, less its
   shown parts, leaves fewer than <threshold> for its hidden parts together. Either way the smallest other
   non-zero count of the line is withheld too, until no line is left like that.
3. Derived figures: a share, median or average is withheld when it rests on a hidden count (report.py).
4. Periods: every count is protected once, in one table for every filter the public can choose (cube.py);
   a figure over several months is the sum of its months, "at least N" when one of them is hidden.
5. Zeros: wherever the cube publishes counts, a count of 0 is published as "fewer than <threshold>" too.
   Had a zero been shown as 0, every "fewer than" would tell the public it is at least 1; an exact attacker
   (a linear programme over every figure of every filter, tests/transparency/test_transparency_quarters.py)
   combined those lower bounds with the published totals and pinned small counts down, e.g. several hidden
   months adding up to as many cases as there are hidden months must each hold exactly 1 (about 350 counts
   of the test's data set). Line by line checks of the upper and lower bounds (rule 2 made stricter) halved
   that, at six times the build time, and could not stop combinations of lines; with a "fewer than" that may
   be 0, the same attacker pins none. The cost: a sum over months with a month of none is "at least N".
6. Publications: the public keeps every publication's figures. A count hidden in the last one that still counts
   the same stays hidden (`kept`), and no count already shown with the same value is chosen to hide beside a small
   one while another can be (`known`): otherwise a month withheld beside a small one, shown the next day because
   a newer month had become the smallest of the line, gave the small one away by subtracting the two days'
   figures (tests/transparency/test_transparency_publication_differencing.py).
"""
from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy
from numpy.typing import NDArray


class FigureState(enum.Enum):
    SHOWN = "shown"
    SMALL = "small"  # a count from 1 to threshold - 1
    WITHHELD = "withheld"  # derived from a small count, or hidden so that one cannot be worked out
    AT_LEAST = "at_least"  # a sum over months, some of them hidden: `value` is the sum of the months shown
    EMPTY = "empty"  # nothing to measure (no cases, no ratings)


@dataclass(frozen=True)
class Figure:
    """A published number, or the reason it is not published. `value` is None unless SHOWN (or AT_LEAST,
    where it is the lower bound)."""

    value: float | int | None
    state: FigureState

    @property
    def shown(self) -> bool:
        return self.state is FigureState.SHOWN

    def note(self, threshold: int) -> str:
        """Words for a figure that is not shown, as the pages and exports print them."""
        if self.state is FigureState.AT_LEAST:
            return f"at least {int(self.value or 0)}"
        return {
            FigureState.SHOWN: "",
            FigureState.SMALL: f"fewer than {threshold}",
            FigureState.WITHHELD: "withheld",
            FigureState.EMPTY: "no data",
        }[self.state]


EMPTY = Figure(None, FigureState.EMPTY)
WITHHELD = Figure(None, FigureState.WITHHELD)
SMALL = Figure(None, FigureState.SMALL)


@dataclass(frozen=True)
class Suppression:
    """The rules for one threshold (Config SMALL_COUNT_THRESHOLD)."""

    threshold: int = 5

    def is_small(self, count: int | float) -> bool:
        return 0 < count < self.threshold

    def count(self, value: int) -> Figure:
        return SMALL if self.is_small(value) else Figure(int(value), FigureState.SHOWN)

    def lone_count(self, value: int) -> Figure:
        """A count published with no total beside it: a zero reads "fewer than N" like a small count (see
        published_figure)."""
        return published_figure(value, SMALL_CODE if self.is_small(value) else SHOWN_CODE, self)

    def share(self, numerator: int, denominator: int) -> Figure:
        """numerator / denominator, withheld if either part, or what the share leaves out, is small."""
        if denominator <= 0:
            return EMPTY
        if any(self.is_small(n) for n in (numerator, denominator, denominator - numerator)):
            return WITHHELD
        return Figure(numerator / denominator, FigureState.SHOWN)

    def statistic(self, value: float | None, values_behind_it: int) -> Figure:
        """A median or an average: withheld when it describes fewer than `threshold` cases."""
        if values_behind_it <= 0 or value is None:
            return EMPTY
        if self.is_small(values_behind_it):
            return WITHHELD
        return Figure(value, FigureState.SHOWN)


# ---------------------------------------------------------------- secondary suppression

# The state of each count after `protect_counts`, as stored in its array.
SHOWN_CODE, SMALL_CODE, WITHHELD_CODE = 0, 1, 2
Line = tuple[Sequence[int], int]  # (positions of the parts, position of the total) on the last axis
_NOTHING = numpy.iinfo(numpy.int64).max


def published_figure(value: int, state: int, rules: Suppression) -> Figure:
    """A count as the public reads it, from its state code after `protect_counts`. A zero reads "fewer than N"
    like a small count (rule 5), unless the threshold hides nothing."""
    if state == SHOWN_CODE and (value != 0 or rules.threshold <= 1):
        return Figure(value, FigureState.SHOWN)
    return WITHHELD if state == WITHHELD_CODE else SMALL


def protect_counts(values: NDArray[numpy.int64], rules: Suppression, lines: Sequence[Line] = (),
                   kept: NDArray[numpy.bool_] | None = None,
                   known: NDArray[numpy.bool_] | None = None) -> NDArray[numpy.uint8]:
    """Primary and secondary suppression of an array of counts; the state code of each count.

    `values` has one axis per dimension (month, body...) and a last axis of measures. Along every dimension
    the last position is the total of the others, so each slice along one axis is a line; `lines` are lines
    between the measures of one cell. Every line is checked at once, then again wherever a count was withheld,
    until no line would give a hidden count away. `kept`: counts hidden in the last publication and unchanged
    since, hidden again; `known`: counts it showed and unchanged since, withheld only when nothing else can be
    (rule 6).
    """
    values = numpy.ascontiguousarray(values)
    public = None if known is None else numpy.ascontiguousarray(known).ravel()
    # A dimension with a total only (no parts) has no lines.
    families = [_Family(values, axis) for axis in range(values.ndim - 1) if values.shape[axis] > 1]
    families += [_Family(values, values.ndim - 1, [*parts, total]) for parts, total in lines]
    small = (values > 0) & (values < rules.threshold)
    concealed = small.ravel().copy()
    if kept is not None:
        concealed |= numpy.ascontiguousarray(kept).ravel()
    while True:
        withheld_now = False
        for family in families:
            cells = family.more_to_withhold(concealed, rules.threshold, public)
            if len(cells):
                concealed[cells] = True
                for other in families:
                    other.recheck(cells)
                withheld_now = True
        if not withheld_now:
            break
    states = numpy.where(concealed, WITHHELD_CODE, SHOWN_CODE).astype(numpy.uint8).reshape(values.shape)
    states[small] = SMALL_CODE
    return states


class _Family:
    """Lines of the same shape: along one dimension (`measures` None), or between some measures of each cell.

    One line per position of `space` (the shape without the line's axis); each row of `cells` holds the flat
    positions of a line's parts, then its total. Lines of zeros only can never give anything away: left out.
    """

    def __init__(self, values: NDArray[numpy.int64], axis: int, measures: list[int] | None = None) -> None:
        self.shape, self.axis = values.shape, axis
        self.space = values.shape[:axis] + values.shape[axis + 1:]
        self.members: NDArray[numpy.bool_] | None = None
        if measures is None:
            kept = numpy.moveaxis(values, axis, -1).any(axis=-1)
            offsets = numpy.arange(values.shape[axis]) * int(numpy.prod(values.shape[axis + 1:]))
        else:
            kept = values[..., measures].any(axis=-1)
            offsets = numpy.array(measures)
            self.members = numpy.isin(numpy.arange(values.shape[-1]), measures)
        lines = numpy.flatnonzero(kept)
        self.cells = self._first_cells(lines)[:, None] + offsets[None, :]
        self.values = values.ravel()[self.cells]
        self.row = numpy.full(kept.size, -1, numpy.int64)
        self.row[lines] = numpy.arange(len(lines))
        self.pending = numpy.ones(len(lines), bool)

    def _first_cells(self, lines: NDArray[numpy.int64]) -> NDArray[numpy.int64]:
        """The flat position of the first count of each line (its coordinate along the line set to 0)."""
        coordinates = list(numpy.unravel_index(lines, self.space))
        coordinates.insert(self.axis, numpy.zeros_like(lines))
        return numpy.ravel_multi_index(tuple(coordinates), self.shape)

    def recheck(self, cells: NDArray[numpy.int64]) -> None:
        coordinates = list(numpy.unravel_index(cells, self.shape))
        along = coordinates.pop(self.axis)
        rows = self.row[numpy.ravel_multi_index(tuple(coordinates), self.space)]
        if self.members is not None:
            rows = rows[self.members[along]]
        self.pending[rows[rows >= 0]] = True

    def more_to_withhold(self, concealed: NDArray[numpy.bool_], threshold: int,
                         known: NDArray[numpy.bool_] | None = None) -> NDArray[numpy.int64]:
        """One more count to withhold in each pending line that would give a hidden count away."""
        rows = numpy.flatnonzero(self.pending)
        self.pending[rows] = False
        everything = len(rows) == len(self.pending)
        values = self.values if everything else self.values[rows]
        hidden = concealed[self.cells if everything else self.cells[rows]]
        hidden_parts = numpy.where(hidden[:, :-1], values[:, :-1], 0).sum(axis=1)
        total_shown = ~hidden[:, -1]
        exposed = (numpy.count_nonzero(hidden, axis=1) == 1) | (
            total_shown & (hidden_parts > 0) & (hidden_parts < threshold))
        rows, values, hidden = rows[exposed], values[exposed], hidden[exposed]
        # The smallest non-zero part still shown (the least information lost); the total if none is left. Not one
        # the last publication showed as it is while a part or the total it did not show can be (rule 6): hiding
        # that one would hide nothing from whoever kept the last publication.
        open_parts = ~hidden[:, :-1] & (values[:, :-1] != 0)
        if known is not None and len(rows):
            public = known[self.cells[rows]]
            fresh = open_parts & ~public[:, :-1]
            fresh_total = ~hidden[:, -1] & ~public[:, -1] & (values[:, -1] > 0)
            open_parts = numpy.where((fresh.any(axis=1) | fresh_total)[:, None], fresh, open_parts)
        candidates = numpy.where(open_parts, values[:, :-1], _NOTHING)
        position = candidates.argmin(axis=1)
        has_part = candidates[numpy.arange(len(rows)), position] < _NOTHING
        position = numpy.where(has_part, position, values.shape[1] - 1)
        possible = has_part | (~hidden[:, -1] & (values[:, -1] > 0))
        return self.cells[rows[possible], position[possible]]


def median_bucket(histogram: Mapping[int, int]) -> int | None:
    """The bucket that holds the middle value (the upper middle when the count is even)."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    middle = total // 2 + 1
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= middle:
            return bucket
    return None  # unreachable: the loop ends once every value is seen
