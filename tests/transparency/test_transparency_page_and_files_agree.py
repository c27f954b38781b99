"""The statistics page, its CSV and its JSON publish the same figures for the same filters: a reader who
compares the page with a download finds no figure that differs, none that one shows and the other hides, and no
figure on the page that the files leave out (the early warning has files of its own)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest

from civicwatch.cases.models import CaseStatus, Outcome
from civicwatch.database import set_clock

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
FILTERS = ["", "period=all", "period=2025", "body=police_oversight", "theme=corruption", "region=eastern",
           "from_month=2026-02&to_month=2026-04"]
NOTES = ("fewer than", "withheld", "no data", "at least")


@pytest.fixture
def world(new_case):
    """Enough cases for most figures to be shown, few enough in places for some to be hidden."""
    set_clock(lambda: NOW)
    plan = [("police_oversight", "misconduct", "eastern", 30), ("police_oversight", "corruption", "northern", 12),
            ("anti_corruption_commission", "corruption", "eastern", 24), ("human_rights_commission",
                                                                          "abuse_of_force", None, 3)]
    statuses = [CaseStatus.CLOSED, CaseStatus.INVESTIGATING, CaseStatus.RECEIVED, CaseStatus.RESPONDED,
                CaseStatus.CLOSED, CaseStatus.REJECTED]
    number = 0
    for body, theme, region, count in plan:
        for _ in range(count):
            number += 1
            status = statuses[number % len(statuses)]
            answered = status in (CaseStatus.CLOSED, CaseStatus.RESPONDED)
            new_case(status, body=body, theme=theme, region=region,
                     created_at=NOW - dt.timedelta(days=20 + 30 * (number % 3) + 400 * (number % 7 == 0)),
                     satisfaction=(number % 5) + 1 if answered else None,
                     outcome=Outcome.UNFOUNDED if answered and number % 3 == 0 else None,
                     routed_by_hand=number % 4 == 0)
    yield
    set_clock(None)


class _Tables(HTMLParser):
    """Every table of the page as {caption: [(row heading, [cell texts])]}, and the headline figures as
    [(label, figure text)]. Badges ("Target met") and "why?" links are left out of the cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str, list[str]]]] = {}
        self.stats: list[tuple[str, str]] = []
        self._caption: str | None = None
        self._text: list[str] | None = None
        self._row: list[str] | None = None
        self._heading = ""
        self._skip = 0
        self._in_caption = False
        self._stat: list[str] | None = None
        self._stat_figure: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._skip or "badge" in classes or "withheld-note" in classes or "muted" in classes:
            self._skip += 1
            return
        if tag == "table":
            self._caption = None
        elif tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self._row, self._heading = [], ""
        elif tag in ("th", "td") and self._row is not None:
            self._text = []
        elif tag == "li":
            self._stat, self._stat_figure = [], None
        elif tag == "span" and "stat" in classes and self._stat is not None:
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            self._skip -= 1
            return
        if tag == "caption":
            self._in_caption = False
            self.tables[self._caption or ""] = []
        elif tag == "th" and self._row is not None and self._text is not None:
            self._heading, self._text = " ".join("".join(self._text).split()), None
        elif tag == "td" and self._row is not None and self._text is not None:
            self._row.append(" ".join("".join(self._text).split()))
            self._text = None
        elif tag == "tr" and self._row is not None:
            if self._row and self._caption is not None:
                self.tables[self._caption].append((self._heading, self._row))
            self._row = None
        elif tag == "span" and self._stat is not None and self._text is not None and self._stat_figure is None:
            self._stat_figure, self._text = " ".join("".join(self._text).split()), None
        elif tag == "li" and self._stat is not None:
            if self._stat_figure is not None:
                self.stats.append((" ".join("".join(self._stat).split()), self._stat_figure))
            self._stat = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_caption:
            self._caption = (self._caption or "") + data
        elif self._text is not None:
            self._text.append(data)
        elif self._stat is not None:
            self._stat.append(data)


def _page(client, query: str) -> _Tables:
    response = client.get(f"/transparency?{query}")
    assert response.status_code == 200
    tables = _Tables()
    tables.feed(response.get_data(as_text=True))
    return tables


def _read(text: str) -> float | str:
    """A figure as the page writes it: its number, or the words that stand for it."""
    text = text.strip()
    if text.startswith(NOTES):
        return text
    number = re.match(r"^([0-9][0-9,]*(?:\.[0-9]+)?)(%?)", text)
    assert number, text
    value = float(number.group(1).replace(",", ""))
    return value / 100 if number.group(2) else value


# How far apart the page's rounding and the file's may put the same figure.
TOLERANCE = {"count": 0, "share": 0.005, "days": 0.05, "whole_days": 0.55, "rating": 0.05}


def _agree(shown: str, row: dict[str, str], kind: str, where: str) -> None:
    on_page = _read(shown)
    if row["value"] == "":
        assert on_page == row["note"], (where, shown, row)
    else:
        assert not isinstance(on_page, str), (where, shown, row)
        assert abs(on_page - float(row["value"])) <= TOLERANCE[kind], (where, shown, row)


MONTH_COLUMNS = (("received", "count"), ("open", "count"), ("closed", "count"),
                 ("share_acknowledged_in_time", "share"))
BODY_COLUMNS = (("received", "count"), ("open", "count"), ("closed", "count"),
                ("share_acknowledged_in_time", "share"), ("target_share_acknowledged_in_time", "target"),
                ("median_days_to_acknowledge", "days"), ("share_closed_within_target", "share"),
                ("target_days_to_close", "target"), ("median_days_to_close", "whole_days"),
                ("share_routed_by_hand", "share"), ("mean_rating", "rating"))
GROUP_COLUMNS = (("received", "count"), ("open", "count"), ("closed", "count"))
RECOMMENDATION_COLUMNS = tuple((m, "count") for m in ("rec_made", "rec_implemented", "rec_partly_implemented",
                                                      "rec_not_implemented", "rec_pending"))
TABLES = {
    "Complaints received each month, and where they stand today": ("month", MONTH_COLUMNS),
    "Complaints received each quarter, and where they stand today": ("quarter", MONTH_COLUMNS),
    "Complaints received each year, and where they stand today": ("year", MONTH_COLUMNS),
    "Figures and targets for each body": ("body", BODY_COLUMNS),
    "Recommendations by body": ("body", RECOMMENDATION_COLUMNS),
    "Complaints by subject": ("theme", GROUP_COLUMNS),
    "Complaints by region": ("region", GROUP_COLUMNS),
}
OVERALL_ROWS = {
    "Outcome of the complaints that were answered": None,  # one row per outcome, then the total
    "Ratings given": ("rated_5", "rated_4", "rated_3", "rated_2", "rated_1", "ratings"),
    "Open and closed complaints in more detail": ("in_progress", "answered", "closed_answered", "rejected",
                                                  "referred", "withdrawn"),
}
HEADLINES = {"complaints received": ("received", "count"), "still open": ("open", "count"),
             "closed": ("closed", "count"),
             "acknowledged within the deadline": ("share_acknowledged_in_time", "share"),
             "typical time to acknowledge": ("median_days_to_acknowledge", "days"),
             "typical time to close": ("median_days_to_close", "whole_days"),
             "average rating of the answers": ("mean_rating", "rating"), "average rating": ("mean_rating", "rating"),
             "recommendations made": ("rec_made", "count"), "carried out": ("rec_implemented", "count"),
             "partly carried out": ("rec_partly_implemented", "count"),
             "not carried out": ("rec_not_implemented", "count"), "still waiting": ("rec_pending", "count"),
             "happy with the answer (4 or 5)": ("share_satisfied", "share")}


@pytest.mark.parametrize("query", FILTERS)
def test_the_page_and_the_csv_publish_the_same_figures(client, world, query):
    page = _page(client, query)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/transparency/statistics.csv?{query}").get_data(
        as_text=True))))
    by_name = {(r["section"], r["name"], r["measure"]): r for r in rows}
    overall = {r["measure"]: r for r in rows if r["section"] == "overall"}
    compared = 0

    for label, figure in page.stats:
        measure, kind = HEADLINES[label]
        _agree(figure, overall[measure], kind, label)
        compared += 1

    for caption, (section, columns) in TABLES.items():
        if caption not in page.tables:
            continue
        on_page = page.tables[caption]
        in_file = {name for (s, name, _) in by_name if s == section}
        assert {heading for heading, _ in on_page} == in_file, caption  # the same groups, none left out
        for heading, cells in on_page:
            assert len(cells) == len(columns), (caption, heading, cells)
            for cell, (measure, kind) in zip(cells, columns, strict=True):
                row = by_name[(section, heading, measure)]
                if kind == "target":
                    assert cell != "" and row["value"] != "", (caption, heading, measure)
                    continue
                _agree(cell, row, kind, f"{caption} / {heading} / {measure}")
                compared += 1

    for caption, measures in OVERALL_ROWS.items():
        cells = [cells[0] for _, cells in page.tables[caption]]
        if measures is None:
            measures = tuple(f"outcome_{o.value}" for o in Outcome) + ("with_outcome",)
        assert len(cells) == len(measures), caption
        for cell, measure in zip(cells, measures, strict=True):
            _agree(cell, overall[measure], "count", f"{caption} / {measure}")
            compared += 1
    html = client.get(f"/transparency?{query}").get_data(as_text=True)
    for css, measure in (("retaliation-check-ins", "check_ins"), ("retaliation-reported",
                                                                  "answers_reporting_retaliation")):
        shown = re.search(rf'class="{css}">([^<]*)<', html).group(1)
        _agree(shown, by_name[("retaliation_watch", "Since the watch began", measure)], "count", measure)
    assert compared > 60


@pytest.mark.parametrize("query", FILTERS)
def test_the_csv_and_the_json_publish_the_same_figures(client, world, query):
    rows = list(csv.DictReader(io.StringIO(client.get(f"/transparency/statistics.csv?{query}").get_data(
        as_text=True))))
    data = client.get(f"/transparency/statistics.json?{query}").get_json()
    sections = {"overall": "overall", "body": "bodies", "month": "months", "quarter": "quarters", "year": "years",
                "theme": "themes", "region": "regions"}
    groups = {(section, group["code"]): group for section, key in sections.items()
              for group in ([data["overall"]] if key == "overall" else data[key])}
    watch = data["retaliation_watch"]
    for row in (r for r in rows if r["section"] == "retaliation_watch"):
        value = watch["counts"][row["measure"]]
        assert ("" if value is None else str(value)) == row["value"], row
        assert watch["not_shown"].get(row["measure"], "") == row["note"], row
    rows = [r for r in rows if r["section"] != "retaliation_watch"]
    assert {(r["section"], r["code"]) for r in rows} == set(groups)
    for row in rows:
        group = groups[(row["section"], row["code"])]
        measure = row["measure"]
        if measure.startswith("target_"):
            key = measure.removeprefix("target_")
            assert str(group["targets"][key]) == row["value"], row
            continue
        if measure.startswith("share_"):
            value = group["shares"][measure.removeprefix("share_")]
        elif measure.startswith("median_days_"):
            value = group["median_days"][measure.removeprefix("median_days_")]
        elif measure == "mean_rating":
            value = group["mean_rating"]
        else:
            value = group["counts"][measure]
        assert ("" if value is None else str(value)) == row["value"], row
        assert group["not_shown"].get(measure, "") == row["note"], row
