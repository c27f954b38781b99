"""What the last publication of the statistics showed, kept for the next one (suppression.py, rule 6).

The public keeps every publication. Protected one at a time, two publications together gave hidden counts away: a
month withheld beside a small one was shown the next day, when a newer month had become the smallest of the line,
and the first day's total less its shown months, less that month, was the small one. So each refresh keeps the
counts and states of the cube it replaces (`pack`), and the next cube starts from them (`carried_over`): a count
hidden then and still the same is hidden again, and one shown then as it is now is not chosen to hide beside a
small one while another can be.
"""
from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy
from numpy.typing import NDArray
from sqlalchemy import select

from civicwatch.extensions import db
from civicwatch.transparency.models import StatisticsRefresh
from civicwatch.transparency.suppression import SHOWN_CODE


@dataclass(frozen=True)
class Published:
    """A protected cube as the public read it: its months, members (ids in their order) and measures, then the
    counts and states indexed [month, body, theme, region, measure] (the last position of each axis "all")."""

    months: tuple[str, ...]
    members: dict[str, list[int | None]]
    measures: tuple[str, ...]
    values: NDArray[numpy.int64]
    states: NDArray[numpy.uint8]


def pack(published: Published) -> bytes:
    layout = {"months": list(published.months), "members": published.members, "measures": list(published.measures)}
    buffer = io.BytesIO()
    numpy.savez_compressed(buffer, values=published.values, states=published.states,
                           layout=numpy.frombuffer(json.dumps(layout).encode(), numpy.uint8))
    return buffer.getvalue()


def unpack(data: bytes) -> Published:
    with numpy.load(io.BytesIO(data), allow_pickle=False) as stored:
        layout = json.loads(stored["layout"].tobytes().decode())
        return Published(tuple(layout["months"]), layout["members"], tuple(layout["measures"]),
                         stored["values"], stored["states"])


def last_publication() -> Published | None:
    """The cube the last refresh replaced, as its pages showed it; None before a second refresh."""
    data = db.session.scalar(select(StatisticsRefresh.published_before).where(StatisticsRefresh.id == 1))
    return unpack(data) if data else None


def _positions(before: Sequence[object], now: Sequence[object]) -> NDArray[numpy.int64]:
    """For each position of an axis now (its "all" last), the same one in the last publication; -1: none."""
    at = {key: i for i, key in enumerate(before)}
    return numpy.array([at.get(key, -1) for key in now] + [len(before)], numpy.int64)


def carried_over(before: Published, months: Sequence[str], members: Mapping[str, Sequence[int | None]],
                 measures: Sequence[str], values: NDArray[numpy.int64],
                 not_kept: Sequence[str] = ()) -> tuple[NDArray[numpy.bool_], NDArray[numpy.bool_]]:
    """The counts of `values` (laid out as `Published.values`) that count the same as in the last publication:
    those it hid (`kept`, but the measures `not_kept`) and those it showed (`known`; a zero reads "fewer than"
    like a small count, so nobody knows it)."""
    axes = [_positions(before.months, months),
            *(_positions(before.members[d], members[d]) for d in members),
            numpy.array([before.measures.index(m) if m in before.measures else -1 for m in measures], numpy.int64)]
    present = numpy.ones(values.shape, bool)
    for axis, found in enumerate(axes):
        present &= (found >= 0).reshape([-1 if a == axis else 1 for a in range(values.ndim)])
    taken = numpy.ix_(*(numpy.maximum(found, 0) for found in axes))
    same = present & (before.values[taken] == values)
    shown = before.states[taken] == SHOWN_CODE
    kept = same & ~shown
    kept[..., [i for i, m in enumerate(measures) if m in not_kept]] = False
    return kept, same & shown & (values != 0)
