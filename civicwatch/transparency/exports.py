"""Open data: CSV and JSON of the statistics, produced as generators. The statistics are already aggregated
(a few hundred groups); they are the page's figures, read from the same protected cube. A count over several
months with a hidden month is written as its lower bound: the note "at least N" (CSV), and `at_least` beside
`not_shown` (JSON)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from civicwatch.open_data import csv_line, iso, safe_text
from civicwatch.transparency.early_warning import EarlyWarning
from civicwatch.transparency.report import GroupFigures, Report
from civicwatch.transparency.retaliation import RetaliationWatch
from civicwatch.transparency.suppression import Figure, FigureState

STATISTICS_COLUMNS = ("section", "code", "name", "measure", "value", "note")


def statistics_measures(group: GroupFigures, threshold: int) -> Iterator[tuple[str, Figure, str]]:
    """Every published figure of a group as (measure, figure, how to write its value)."""
    for name, figure in group.counts.items():
        yield name, figure, "count"
    for name, figure in group.shares.items():
        yield f"share_{name}", figure, "share"
    for name, figure in group.days.items():
        yield f"median_days_{name}", figure, "days"
    yield "mean_rating", group.mean_rating, "rating"


def _value(figure: Figure, kind: str) -> int | float | None:
    if not figure.shown or figure.value is None:
        return None
    if kind == "count":
        return int(figure.value)
    if kind == "share":
        return round(float(figure.value), 3)
    if kind == "rating":
        return round(float(figure.value), 2)
    return round(float(figure.value), 1)


def _retaliation_measures(watch: RetaliationWatch) -> tuple[tuple[str, Figure], ...]:
    """The retaliation watch since it began, whatever the filters (as on the page)."""
    return ("check_ins", watch.check_ins), ("answers_reporting_retaliation", watch.reported)


def statistics_csv(report: Report, watch: RetaliationWatch) -> Iterator[str]:
    yield csv_line(STATISTICS_COLUMNS)
    for section, groups in report.sections():
        for group in groups:
            for measure, figure, kind in statistics_measures(group, report.threshold):
                value = _value(figure, kind)
                yield csv_line((section, group.code, safe_text(group.name), measure,
                                 "" if value is None else value, figure.note(report.threshold)))
            if group.target_acknowledged_share is not None:
                yield csv_line((section, group.code, safe_text(group.name), "target_share_acknowledged_in_time",
                                 group.target_acknowledged_share, ""))
            if group.target_closed_within_days is not None:
                yield csv_line((section, group.code, safe_text(group.name), "target_days_to_close",
                                 group.target_closed_within_days, ""))
    for measure, figure in _retaliation_measures(watch):
        value = _value(figure, "count")
        yield csv_line(("retaliation_watch", "all", "Since the watch began", measure, "" if value is None else value,
                        figure.note(report.threshold)))


def _group_json(group: GroupFigures, threshold: int) -> dict[str, Any]:
    data: dict[str, Any] = {"code": group.code, "name": group.name, "counts": {}, "shares": {},
                            "median_days": {}, "mean_rating": _value(group.mean_rating, "rating"), "not_shown": {}}
    for measure, figure, kind in statistics_measures(group, threshold):
        value = _value(figure, kind)
        if kind == "count":
            data["counts"][measure] = value
        elif kind == "share":
            data["shares"][measure.removeprefix("share_")] = value
        elif kind == "days":
            data["median_days"][measure.removeprefix("median_days_")] = value
        if not figure.shown:
            data["not_shown"][measure] = figure.note(threshold)
        if figure.state is FigureState.AT_LEAST:
            data.setdefault("at_least", {})[measure] = int(figure.value or 0)
    if group.target_acknowledged_share is not None:
        data["targets"] = {"share_acknowledged_in_time": group.target_acknowledged_share,
                           "days_to_close": group.target_closed_within_days}
    return data


def statistics_json(report: Report, watch: RetaliationWatch, meta: dict[str, Any]) -> Iterator[str]:
    yield json.dumps({**meta, "small_count_threshold": report.threshold,
                      "generated_at": iso(report.generated_at)})[:-1]
    for section, groups in (("overall", [report.overall]), ("bodies", report.bodies), ("months", report.months),
                            ("themes", report.themes), ("regions", report.regions), ("quarters", report.quarters),
                            ("years", report.years)):
        payload: Any = [_group_json(g, report.threshold) for g in groups]
        if section == "overall":
            payload = payload[0]
        yield f", {json.dumps(section)}: {json.dumps(payload)}"
    measures = _retaliation_measures(watch)
    retaliation = {"counts": {measure: _value(figure, "count") for measure, figure in measures},
                   "not_shown": {measure: figure.note(report.threshold) for measure, figure in measures
                                 if not figure.shown}}
    yield f', "retaliation_watch": {json.dumps(retaliation)}' + "}\n"


EARLY_WARNING_COLUMNS = ("indicator", "place_or_service", "theme_or_kind", "period", "value", "note")


def _early_warning_rows(warning: EarlyWarning) -> Iterator[tuple[str, str, str, str, Figure]]:
    for spot in warning.hotspots:
        yield "hotspot", spot.district.name, spot.theme.name, "last_90_days", spot.recent
        yield "hotspot", spot.district.name, spot.theme.name, "previous_90_days", spot.before
    for trend in warning.trends:
        for month, figure in zip(warning.months, trend.months, strict=True):
            yield "allegations_by_service", trend.service.name, "", month, figure
        yield "allegations_by_service", trend.service.name, "", "all_months", trend.total
    for subject in warning.subjects:
        yield "named_unit_or_post", subject.name, subject.kind, "last_90_days", Figure(warning.threshold,
                                                                                       FigureState.AT_LEAST)


def early_warning_csv(warning: EarlyWarning) -> Iterator[str]:
    yield csv_line(EARLY_WARNING_COLUMNS)
    for indicator, place, theme, period, figure in _early_warning_rows(warning):
        value = _value(figure, "count")
        yield csv_line((indicator, safe_text(place), safe_text(theme), period, "" if value is None else value,
                        figure.note(warning.threshold)))


def early_warning_json(warning: EarlyWarning, meta: dict[str, Any]) -> Iterator[str]:
    rows = [{"indicator": indicator, "place_or_service": place, "theme_or_kind": theme, "period": period,
             "value": _value(figure, "count"), "not_shown": None if figure.shown else figure.note(warning.threshold)}
            for indicator, place, theme, period, figure in _early_warning_rows(warning)]
    yield json.dumps({**meta, "as_of": iso(warning.as_of), "small_count_threshold": warning.threshold,
                      "rows": rows}, ensure_ascii=False, indent=1)
