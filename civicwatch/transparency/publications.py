"""What the last publication of the statistics showed, kept for the next one (suppression.py, rule 6).

The public keeps every publication. Protected one at a time, two publications together gave hidden counts away: a
month withheld beside a small one was shown the next day, when a newer month had become the smallest of the line,
and the first day's total less its shown months, less that month, was the small one. So each refresh keeps the
counts and states of the cube it replaces (`pack`), and the next cube starts from them (`carried_over`): a count
hidden then and still the same is hidden again, and one shown then as it is now is not chosen to hide beside a
small one while another can be. The early warning's table by service and month does the same with the table kept
in the early warning it published (early_warning.py).
"""
from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy
from numpy.typing import NDArray
from sqlalchemy import select

from civicwatch.extensions import db
from civicwatch.transparency.models import StatisticsRefresh
from civicwatch.transparency.suppression import SHOWN_CODE


@dataclass(frozen=True)
class Published:
    """Protected counts as the public read them: each axis by the keys of its positions (months, members, measures,
    and the totals'), then the counts and their states."""

    axes: list[list[object]]
    values: NDArray[numpy.int64]
    states: NDArray[numpy.uint8]

    def carried_over(self, axes: Sequence[Sequence[object]],
                     values: NDArray[numpy.int64]) -> tuple[NDArray[numpy.bool_], NDArray[numpy.bool_]]:
        return carried_over(self.axes, self.values, self.states, axes, values)


def pack(published: Published) -> bytes:
    buffer = io.BytesIO()
    numpy.savez_compressed(buffer, values=published.values, states=published.states,
                           axes=numpy.frombuffer(json.dumps(published.axes).encode(), numpy.uint8))
    return buffer.getvalue()


def unpack(data: bytes) -> Published:
    with numpy.load(io.BytesIO(data), allow_pickle=False) as stored:
        return Published(json.loads(stored["axes"].tobytes().decode()), stored["values"], stored["states"])


def last_publication() -> Published | None:
    """The cube the last refresh replaced, as its pages showed it; None before a second refresh."""
    data = db.session.scalar(select(StatisticsRefresh.published_before).where(StatisticsRefresh.id == 1))
    return unpack(data) if data else None


def _positions(before: Sequence[object], now: Sequence[object]) -> NDArray[numpy.int64]:
    """For each position of an axis now, the same one in the last publication; -1: none."""
    at = {key: i for i, key in enumerate(before)}
    return numpy.array([at.get(key, -1) for key in now], numpy.int64)


def carried_over(before: Sequence[Sequence[object]], values_before: NDArray[numpy.int64],
                 states_before: NDArray[numpy.uint8], axes: Sequence[Sequence[object]],
                 values: NDArray[numpy.int64]) -> tuple[NDArray[numpy.bool_], NDArray[numpy.bool_]]:
    """The counts of `values` that count the same as in the last publication, each axis named by its keys (the
    last publication's `before`, now `axes`; a total's key must say what it adds up): those it hid (`kept`) and
    those it showed (`known`; a zero reads "fewer than" like a small count, so nobody knows it)."""
    found = [_positions(keys_before, keys) for keys_before, keys in zip(before, axes, strict=True)]
    present = numpy.ones(values.shape, bool)
    for axis, positions in enumerate(found):
        present &= (positions >= 0).reshape([-1 if a == axis else 1 for a in range(values.ndim)])
    taken = numpy.ix_(*(numpy.maximum(positions, 0) for positions in found))
    same = present & (values_before[taken] == values)
    shown = states_before[taken] == SHOWN_CODE
    return same & ~shown, same & shown & (values != 0)
