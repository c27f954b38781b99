"""Geometry for the server-rendered SVG charts. Templates draw what these functions lay out.

No script, no inline styles (the CSP forbids them): shapes carry classes styled in site.css. A suppressed
count is never drawn to scale: it is a hatched bar as high as the threshold ("fewer than 5"), and a
withheld figure is a gap with a mark, so the picture gives away no more than the table beside it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from babel.dates import get_month_names
from flask_babel import format_number, format_percent, get_locale, gettext

from civicwatch.transparency.suppression import Figure, FigureState

# Drawing units: the SVG scales to the width of the screen, so on a 360px phone one unit is about half a
# pixel. Text is set large (see site.css) to stay readable there.
WIDTH = 640
PLOT_LEFT = 64
PLOT_RIGHT = 12
PLOT_TOP = 20
PLOT_HEIGHT = 220
AXIS_LABELS_HEIGHT = 60


@dataclass(frozen=True)
class AxisLabel:
    """Under a month: its short name, and the year under January and under the first month shown."""

    month: str
    year: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str
    css: str  # 'bar', 'bar-small' (hatched, fewer than threshold) or 'bar-withheld'
    axis: AxisLabel | None


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass
class ColumnChart:
    """Vertical bars over time (cases received each month)."""

    title: str
    description: str
    height: int
    threshold: int
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    baseline: float = PLOT_TOP + PLOT_HEIGHT


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value_text: str
    axis: AxisLabel | None


@dataclass
class LineChart:
    """A share (0 to 100%) over time, with the target as a dashed line when there is one."""

    title: str
    description: str
    height: int
    segments: list[list[Point]] = field(default_factory=list)  # broken where a month is withheld
    gaps: list[Point] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    target_y: float | None = None
    target_text: str = ""
    baseline: float = PLOT_TOP + PLOT_HEIGHT


@dataclass(frozen=True)
class TargetRow:
    y: float
    name: str
    bar_width: float | None  # None: not shown (withheld or no data)
    target_x: float | None
    value_text: str
    met: bool | None


@dataclass
class TargetChart:
    """One row per body: the actual share as a bar and the body's own target as a mark."""

    title: str
    description: str
    height: int
    rows: list[TargetRow] = field(default_factory=list)
    left: int = 0
    width: int = 0

    @property
    def value_x(self) -> int:
        return self.left + self.width + 10


NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 25_000,
              50_000, 100_000, 200_000, 250_000, 500_000)


def _nice_maximum(value: float) -> int:
    """The top of the scale: four equal steps of a round size, at or above `value`."""
    for step in NICE_STEPS:
        if step * 4 >= value:
            return step * 4
    return int(value) + 1


def _label_every(count: int) -> int:
    return 1 if count <= 12 else 3 if count <= 36 else 6 if count <= 72 else 12


def _axis_labels(months: Sequence[str]) -> list[AxisLabel | None]:
    """Labels for 'YYYY-MM' months (or 'YYYY-Qn' quarters), thinned out when there are many; the year where it
    changes."""
    every = _label_every(len(months))
    labels: list[AxisLabel | None] = []
    last_year = ""
    for index, month in enumerate(months):
        if index % every:
            labels.append(None)
            continue
        year, number = month.split("-")
        name = number if number.startswith("Q") else month_abbreviation(int(number))
        labels.append(AxisLabel(name, year if year != last_year else ""))
        last_year = year
    return labels


def month_abbreviation(number: int) -> str:
    """'Jan' for 1, in the page's language."""
    return str(get_month_names("abbreviated", locale=get_locale())[number])


def column_chart(title: str, description: str, months: Sequence[str], labels: Sequence[str],
                 figures: Sequence[Figure], threshold: int, notes: Sequence[str]) -> ColumnChart:
    """Bars for counts per month; `notes` are the words printed for figures that are not shown."""
    chart = ColumnChart(title, description, PLOT_TOP + PLOT_HEIGHT + AXIS_LABELS_HEIGHT, threshold)
    shown = [f.value for f in figures if f.shown and f.value is not None]
    top = _nice_maximum(max(shown + [threshold]))
    chart.ticks = [Tick(PLOT_TOP + PLOT_HEIGHT - PLOT_HEIGHT * i / 4, format_number(int(top * i / 4))) for i in range(5)]
    slot = (WIDTH - PLOT_LEFT - PLOT_RIGHT) / max(len(figures), 1)
    for index, (label, axis, figure, note) in enumerate(zip(labels, _axis_labels(months), figures, notes, strict=False)):
        value, css = _bar_value(figure, threshold)
        height = PLOT_HEIGHT * value / top if top else 0
        chart.bars.append(Bar(
            x=round(PLOT_LEFT + index * slot + slot * 0.15, 1), y=round(chart.baseline - height, 1),
            width=round(slot * 0.7, 1), height=round(height, 1), label=label,
            value_text=format_number(figure.value) if figure.shown else note, css=css, axis=axis,
        ))
    return chart


def _bar_value(figure: Figure, threshold: int) -> tuple[float, str]:
    if figure.state is FigureState.SMALL:
        return threshold, "bar-small"
    if figure.state in (FigureState.WITHHELD, FigureState.AT_LEAST):
        return 0, "bar-withheld"
    return float(figure.value or 0), "bar"


def line_chart(title: str, description: str, months: Sequence[str], labels: Sequence[str],
               figures: Sequence[Figure], target: float | None, notes: Sequence[str]) -> LineChart:
    """Points for shares between 0 and 1 per month, joined where consecutive months are both shown."""
    chart = LineChart(title, description, PLOT_TOP + PLOT_HEIGHT + AXIS_LABELS_HEIGHT)
    chart.ticks = [Tick(PLOT_TOP + PLOT_HEIGHT - PLOT_HEIGHT * i / 4, format_percent(i / 4)) for i in range(5)]
    slot = (WIDTH - PLOT_LEFT - PLOT_RIGHT) / max(len(figures), 1)
    segment: list[Point] = []
    for index, (label, axis, figure, note) in enumerate(zip(labels, _axis_labels(months), figures, notes, strict=False)):
        x = round(PLOT_LEFT + index * slot + slot / 2, 1)
        if figure.shown and figure.value is not None:
            segment.append(Point(x, round(chart.baseline - PLOT_HEIGHT * float(figure.value), 1), label,
                                 format_percent(float(figure.value)), axis))
            continue
        if segment:
            chart.segments.append(segment)
            segment = []
        chart.gaps.append(Point(x, chart.baseline, label, note, axis))
    if segment:
        chart.segments.append(segment)
    if target is not None:
        chart.target_y = round(chart.baseline - PLOT_HEIGHT * target, 1)
        chart.target_text = gettext("Target %(share)s", share=format_percent(target))
    return chart


def target_chart(title: str, description: str, rows: Sequence[tuple[str, Figure, float | None, bool | None, str]]
                 ) -> TargetChart:
    """Rows of (name, actual share, target share, target met, text for the value)."""
    # Each row: the name on one line, then the bar with the figure after it.
    left, width, row_height = 4, WIDTH - 124, 64
    chart = TargetChart(title, description, 8 + row_height * max(len(rows), 1), left=left, width=width)
    for index, (name, figure, target, met, value_text) in enumerate(rows):
        y = 8 + index * row_height
        chart.rows.append(TargetRow(
            y=y, name=name,
            bar_width=round(width * float(figure.value), 1) if figure.shown and figure.value is not None else None,
            target_x=round(left + width * target, 1) if target is not None else None,
            value_text=value_text, met=met,
        ))
    return chart
