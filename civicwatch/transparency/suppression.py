"""Small-count suppression: no published figure lets anyone work out a count between 1 and threshold - 1.

Three rules, applied to every figure on every page, export and API:
1. Primary: a count from 1 to threshold - 1 is shown as "fewer than <threshold>".
2. Derived figures: a share, median or average is withheld when it rests on such a count (its numerator,
   denominator or their difference; the number of values behind a median or average).
3. Secondary: counts that add up to a published total are checked line by line. A line (the parts and
   their total) with exactly one hidden figure would give it away by subtraction, so the smallest other
   non-zero count in that line is withheld too, until no line has exactly one hidden figure.
"""
from __future__ import annotations

import enum
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar


class FigureState(enum.Enum):
    SHOWN = "shown"
    SMALL = "small"  # a count from 1 to threshold - 1
    WITHHELD = "withheld"  # derived from a small count, or hidden so that one cannot be worked out
    EMPTY = "empty"  # nothing to measure (no cases, no ratings)


@dataclass(frozen=True)
class Figure:
    """A published number, or the reason it is not published. `value` is None unless SHOWN."""

    value: float | int | None
    state: FigureState

    @property
    def shown(self) -> bool:
        return self.state is FigureState.SHOWN

    def note(self, threshold: int) -> str:
        """Words for a figure that is not shown, as the pages and exports print them."""
        return {
            FigureState.SHOWN: "",
            FigureState.SMALL: f"fewer than {threshold}",
            FigureState.WITHHELD: "withheld",
            FigureState.EMPTY: "no data",
        }[self.state]


EMPTY = Figure(None, FigureState.EMPTY)
WITHHELD = Figure(None, FigureState.WITHHELD)


@dataclass(frozen=True)
class Suppression:
    """The rules for one threshold (Config SMALL_COUNT_THRESHOLD)."""

    threshold: int = 5

    def is_small(self, count: int | float) -> bool:
        return 0 < count < self.threshold

    def count(self, value: int) -> Figure:
        return Figure(None, FigureState.SMALL) if self.is_small(value) else Figure(int(value), FigureState.SHOWN)

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


Key = TypeVar("Key", bound=Hashable)


class CountTable(Generic[Key]):
    """Counts that add up, protected together. Each line is some parts and the key of their total."""

    def __init__(self, rules: Suppression) -> None:
        self.rules = rules
        self.values: dict[Key, int] = {}
        self.lines: list[tuple[Key, ...]] = []

    def set_count(self, key: Key, value: int) -> None:
        self.values[key] = int(value)

    def add_line(self, parts: Iterable[Key], total: Key) -> None:
        """`parts` add up to `total`; a part that was never set counts as zero."""
        line = tuple(parts) + (total,)
        for key in line:
            self.values.setdefault(key, 0)
        self.lines.append(line)

    def protect(self) -> dict[Key, Figure]:
        """Every count as a Figure after primary and secondary suppression."""
        hidden = {key for key, value in self.values.items() if self.rules.is_small(value)}
        withheld: set[Key] = set()
        changed = True
        while changed:
            changed = False
            for line in self.lines:
                if sum(1 for key in line if key in hidden or key in withheld) != 1:
                    continue
                extra = self._next_to_withhold(line, hidden | withheld)
                if extra is not None:
                    withheld.add(extra)
                    changed = True
        return {key: self._figure(key, value, hidden, withheld) for key, value in self.values.items()}

    def _next_to_withhold(self, line: tuple[Key, ...], concealed: set[Key]) -> Key | None:
        # The smallest non-zero part (the total only if no part is left): the least information lost.
        parts = [key for key in line[:-1] if key not in concealed and self.values[key] > 0]
        if parts:
            return min(parts, key=lambda key: self.values[key])
        total = line[-1]
        return total if total not in concealed and self.values[total] > 0 else None

    @staticmethod
    def _figure(key: Key, value: int, hidden: set[Key], withheld: set[Key]) -> Figure:
        if key in hidden:
            return Figure(None, FigureState.SMALL)
        if key in withheld:
            return WITHHELD
        return Figure(value, FigureState.SHOWN)


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
