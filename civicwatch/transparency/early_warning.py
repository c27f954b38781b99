"""The public "early warning" figures: where allegations concentrate (district and theme, last 90 days against the
90 before), how allegations against each service move month by month, and the units and posts most named.

Every count goes through the same small-count protection as the other public figures (suppression.py): a count
below the threshold is never shown, and the table of allegations by service and month, whose totals are
published, is protected whole with its totals, so no hidden count can be worked out by subtraction. Units and posts
are named only from allegations staff confirmed against them and only at or above the threshold; officers are
never published, whatever their count.
The figures are as of the statistics' last publication (`as_of`): an allegation recorded since then waits for
the next one, or the move of one count would tell when staff recorded what against whom. For the same reason the
figures are computed once, when the statistics are published, and kept (`StatisticsRefresh.early_warning`): an
allegation that staff move to another district, theme or service between two publications moves nothing until the
next. The table by service and month is protected from the one published before it (suppression.py, rule 6): it
slides a month at a time, and a month withheld beside a small one, shown once a newer month had become the smallest,
gave the small one away with the publication before.
The threshold is about people: a case holds up to 50 allegations, so one complainant could fill a cell alone. A
figure counts allegations, but is protected by the number of complaints behind it: a cell with fewer than
`threshold` complaints is small, whatever its allegations, and the table's hidden cells are chosen from its counts
of complaints (each complaint counted once in each cell it has an allegation in, so that the cells add up).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy
from numpy.typing import NDArray
from sqlalchemy import distinct, func, select

from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation, Subject, SubjectKind
from civicwatch.taxonomy.models import Actor, District, Name, Theme
from civicwatch.transparency.models import StatisticsRefresh
from civicwatch.transparency.publications import Published
from civicwatch.transparency.suppression import (
    SHOWN_CODE,
    SMALL_CODE,
    Figure,
    FigureState,
    Suppression,
    protect_counts,
    published_figure,
)

HOTSPOT_DAYS = 90
TREND_MONTHS = 6
HOTSPOTS_SHOWN = 10
PUBLIC_SUBJECT_KINDS = (SubjectKind.UNIT, SubjectKind.POST)


@dataclass(frozen=True)
class Hotspot:
    district: Name
    theme: Name
    recent: Figure  # allegations of the last HOTSPOT_DAYS
    before: Figure  # of the HOTSPOT_DAYS before them


@dataclass(frozen=True)
class Trend:
    service: Name
    months: list[Figure]  # one per month of EarlyWarning.months
    total: Figure


@dataclass(frozen=True)
class NamedSubject:
    """Published as "at least <threshold>" only: an exact count beside the hotspots could be subtracted from them."""

    name: str
    kind: str


@dataclass(frozen=True)
class EarlyWarning:
    threshold: int
    as_of: dt.date
    hotspots: list[Hotspot]
    months: list[str]  # "2026-01"
    trends: list[Trend]
    subjects: list[NamedSubject]
    protected: Published | None = None  # the table by service and month as published, for the next publication


Figures = dict[tuple[int, int, int], Figure]


def _protect(values: NDArray[numpy.int64], complaints: NDArray[numpy.int64], rules: Suppression,
             axes: list[list[object]], before: Published | None) -> tuple[Figures, Published]:
    """Every count of allegations of the table as the public may see it, hidden where its complaints are, and
    where the publication before hid the same count (what the public reads is the count of allegations)."""
    kept, known = before.carried_over(axes, values) if before is not None else (None, None)
    states = protect_counts(complaints, rules, kept=kept, known=known)
    figures: Figures = {}
    for index in numpy.ndindex(values.shape):
        figures[(index[0], index[1], index[2])] = published_figure(int(values[index]), int(states[index]), rules)
    return figures, Published(axes, values, states)


def _with_totals(counts: dict[tuple[int, int], list[int]], rows: list[int], columns: list[int],
                 measures: int = 1) -> NDArray[numpy.int64]:
    """An array of counts with a total as the last row and the last column, as protect_counts expects."""
    values = numpy.zeros((len(rows) + 1, len(columns) + 1, measures), numpy.int64)
    row_at, column_at = {r: i for i, r in enumerate(rows)}, {c: i for i, c in enumerate(columns)}
    for (row, column), measured in counts.items():
        values[row_at[row], column_at[column]] = measured
    values[-1, :, :] = values[:-1, :, :].sum(axis=0)
    values[:, -1, :] = values[:, :-1, :].sum(axis=1)
    return values


def _lone_figure(allegations: int, complaints: int, rules: Suppression) -> Figure:
    """A cell published with no total beside it: small while fewer than `threshold` complaints are behind it."""
    return published_figure(allegations, SMALL_CODE if complaints < rules.threshold else SHOWN_CODE, rules)


def hotspots(as_of: dt.datetime, rules: Suppression) -> list[Hotspot]:
    today = as_of.date()
    start = today - dt.timedelta(days=2 * HOTSPOT_DAYS - 1)
    middle = today - dt.timedelta(days=HOTSPOT_DAYS - 1)
    recent = Allegation.incident_date >= middle
    # (allegations, complaints) of the last HOTSPOT_DAYS, then of the HOTSPOT_DAYS before them.
    counts: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for district_id, theme_id, *measured in db.session.execute(
            select(Allegation.district_id, Allegation.theme_id,
                   func.count(Allegation.id).filter(recent), func.count(distinct(Allegation.case_id)).filter(recent),
                   func.count(Allegation.id).filter(~recent),
                   func.count(distinct(Allegation.case_id)).filter(~recent))
            .where(Allegation.district_id.is_not(None), Allegation.theme_id.is_not(None),
                   Allegation.incident_date >= start, Allegation.incident_date <= today,
                   Allegation.created_at <= as_of)
            .group_by(Allegation.district_id, Allegation.theme_id)):
        counts[(district_id, theme_id)] = (int(measured[0]), int(measured[1]), int(measured[2]), int(measured[3]))
    names = {d.id: Name(d.name, d.names) for d in db.session.scalars(select(District))}
    theme_names = {t.id: Name(t.name, t.names) for t in db.session.scalars(select(Theme))}
    # The hotspots are cells only (no totals are published beside them): each count is protected by itself. A
    # quiet past of none reads "fewer than N" like one of a few, or that "fewer than N" would tell of a complaint.
    found = [Hotspot(names[d], theme_names[t], _lone_figure(recent, complaints, rules),
                     _lone_figure(before, complaints_before, rules))
             for (d, t), (recent, complaints, before, complaints_before) in counts.items()
             if complaints >= rules.threshold]
    found.sort(key=lambda h: (-int(h.recent.value or 0), h.district.name, h.theme.name))
    return found[:HOTSPOTS_SHOWN]


def _month_keys(today: dt.date) -> list[str]:
    year, month = today.year, today.month
    keys = []
    for _ in range(TREND_MONTHS):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def trends(as_of: dt.datetime, rules: Suppression,
           before: Published | None = None) -> tuple[list[str], list[Trend], Published]:
    today = as_of.date()
    months = _month_keys(today)
    first = dt.date.fromisoformat(months[0] + "-01")
    allegations: Counter[tuple[int, str]] = Counter()
    complaints: dict[tuple[int, str], set[int]] = {}
    for actor_id, day, case_id, n in db.session.execute(
            select(Allegation.actor_id, Allegation.incident_date, Allegation.case_id, func.count(Allegation.id))
            .where(Allegation.actor_id.is_not(None), Allegation.incident_date >= first,
                   Allegation.incident_date <= today, Allegation.created_at <= as_of)
            .group_by(Allegation.actor_id, Allegation.incident_date, Allegation.case_id)):
        key = (actor_id, day.strftime("%Y-%m"))
        allegations[key] += n
        complaints.setdefault(key, set()).add(case_id)
    # Every service, with allegations or not: a row listed only for a service complained about would say so,
    # whatever its counts read (a zero reads "fewer than N" like a small count).
    actors = sorted(db.session.scalars(select(Actor.id)))
    month_at = {m: i for i, m in enumerate(months)}
    columns = list(range(len(months)))
    values = _with_totals({(a, month_at[m]): [n] for (a, m), n in allegations.items()}, actors, columns)
    behind = _with_totals({(a, month_at[m]): [len(c)] for (a, m), c in complaints.items()}, actors, columns)
    # The total of a row is of these months only: another window's total is another count.
    axes: list[list[object]] = [[*actors, "all"], [*months, f"{months[0]} to {months[-1]}"], ["allegations"]]
    figures, protected = _protect(values, behind, rules, axes, before)
    names = {a.id: Name(a.name, a.names) for a in db.session.scalars(select(Actor).where(Actor.id.in_(actors)))}
    return months, [Trend(names[a], [figures[(i, j, 0)] for j in range(len(months))], figures[(i, len(months), 0)])
                    for i, a in enumerate(actors)], protected


def named_subjects(as_of: dt.datetime, rules: Suppression) -> list[NamedSubject]:
    """Units and posts with confirmed allegations from at least `threshold` complaints in the last HOTSPOT_DAYS;
    never officers."""
    today = as_of.date()
    start = today - dt.timedelta(days=HOTSPOT_DAYS - 1)
    rows = db.session.execute(
        select(Subject.name, Subject.kind, func.count(Allegation.id)).join(Allegation.subject)
        .where(Subject.kind.in_(PUBLIC_SUBJECT_KINDS), Allegation.incident_date >= start,
               Allegation.incident_date <= today, Allegation.created_at <= as_of)
        .group_by(Subject.id, Subject.name, Subject.kind)
        .having(func.count(distinct(Allegation.case_id)) >= rules.threshold)
        .order_by(func.count(Allegation.id).desc(), Subject.name).limit(HOTSPOTS_SHOWN))
    return [NamedSubject(name, kind.value) for name, kind, _ in rows if kind in PUBLIC_SUBJECT_KINDS]


def early_warning(as_of: dt.datetime, threshold: int, before: dict[str, Any] | None = None) -> EarlyWarning:
    """The figures at `as_of`; `before`, the early warning published last (as kept), whose table by service and
    month this one's starts from."""
    rules = Suppression(threshold)
    months, by_service, protected = trends(as_of, rules, _published_table(before))
    return EarlyWarning(threshold, as_of.date(), hotspots(as_of, rules), months, by_service,
                        named_subjects(as_of, rules), protected)


def published_early_warning(as_of: dt.datetime, threshold: int) -> EarlyWarning:
    """The early warning as published at `as_of`, the statistics' last refresh; computed now only when that
    refresh kept none (before the first, or one made with another threshold)."""
    state = db.session.get(StatisticsRefresh, 1)
    kept = state.early_warning if state is not None and state.refreshed_at == as_of else None
    if kept is not None and kept.get("threshold") == threshold:
        return from_kept(kept)
    return early_warning(as_of, threshold)


# ---------------------------------------------------------------- kept as JSON

def _name(name: Name) -> dict[str, Any]:
    return {"name": name.name, "names": dict(name.names)}


def _figure(figure: Figure) -> dict[str, Any]:
    return {"value": figure.value, "state": figure.state.value}


def to_kept(warning: EarlyWarning) -> dict[str, Any]:
    kept = {
        "threshold": warning.threshold, "as_of": warning.as_of.isoformat(), "months": warning.months,
        "hotspots": [{"district": _name(h.district), "theme": _name(h.theme), "recent": _figure(h.recent),
                      "before": _figure(h.before)} for h in warning.hotspots],
        "trends": [{"service": _name(t.service), "months": [_figure(f) for f in t.months], "total": _figure(t.total)}
                   for t in warning.trends],
        "subjects": [{"name": s.name, "kind": s.kind} for s in warning.subjects],
    }
    if warning.protected is not None:  # never published: only the next publication reads it
        table = warning.protected
        kept["protected"] = {"axes": table.axes, "values": table.values.tolist(), "states": table.states.tolist()}
    return kept


def _published_table(kept: dict[str, Any] | None) -> Published | None:
    table = (kept or {}).get("protected")
    if not table:
        return None
    return Published(table["axes"], numpy.array(table["values"], numpy.int64),
                     numpy.array(table["states"], numpy.uint8))


def _read_name(kept: dict[str, Any]) -> Name:
    return Name(kept["name"], kept["names"])


def _read_figure(kept: dict[str, Any]) -> Figure:
    return Figure(kept["value"], FigureState(kept["state"]))


def from_kept(kept: dict[str, Any]) -> EarlyWarning:
    return EarlyWarning(
        kept["threshold"], dt.date.fromisoformat(kept["as_of"]),
        [Hotspot(_read_name(h["district"]), _read_name(h["theme"]), _read_figure(h["recent"]),
                 _read_figure(h["before"])) for h in kept["hotspots"]],
        list(kept["months"]),
        [Trend(_read_name(t["service"]), [_read_figure(f) for f in t["months"]], _read_figure(t["total"]))
         for t in kept["trends"]],
        [NamedSubject(s["name"], s["kind"]) for s in kept["subjects"]],
    )
