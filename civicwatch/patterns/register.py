"""Reading a subject register from CSV: one subject a line, every bad line named with what is wrong with it.

Columns (a header line names them): kind (unit, post or officer), name, service (an actor code, optional),
district (a district code, optional), aliases (optional, separated by "|").
"""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import format_number, gettext

from civicwatch.patterns.matching import alias_words
from civicwatch.patterns.models import SubjectKind

COLUMNS = ("kind", "name", "service", "district", "aliases")
REQUIRED = ("kind", "name")
NAME_MAX = 200
MAX_LINES = 50_000


@dataclass(frozen=True)
class SubjectRow:
    line: int
    kind: SubjectKind
    name: str
    service: str | None
    district: str | None
    aliases: tuple[str, ...]


@dataclass
class ParsedRegister:
    rows: list[SubjectRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line 4: ...", in the language of the page


def _row(line: int, record: Mapping[str, str | None], services: set[str], districts: set[str]) -> SubjectRow | str:
    values = {key: (record.get(key) or "").strip() for key in COLUMNS}
    kinds = {k.value for k in SubjectKind}
    if values["kind"].lower() not in kinds:
        return gettext("kind must be one of %(kinds)s, not '%(kind)s'", kinds=", ".join(sorted(kinds)),
                       kind=values["kind"])
    if not values["name"] or len(values["name"]) > NAME_MAX or not alias_words(values["name"]):
        return gettext("the name is missing or longer than %(max)s characters", max=NAME_MAX)
    if values["service"] and values["service"] not in services:
        return gettext("unknown service '%(service)s'", service=values["service"])
    if values["district"] and values["district"] not in districts:
        return gettext("unknown district '%(district)s'", district=values["district"])
    aliases = tuple(a.strip() for a in values["aliases"].split("|") if a.strip())
    if any(len(a) > NAME_MAX or not alias_words(a) for a in aliases):
        return gettext("an alias is empty of words or longer than %(max)s characters", max=NAME_MAX)
    return SubjectRow(line, SubjectKind(values["kind"].lower()), values["name"], values["service"] or None,
                      values["district"] or None, aliases)


def _on_line(line: int, problem: str) -> str:
    return gettext("line %(line)s: %(problem)s", line=line, problem=problem)


def parse_register(text: str, services: set[str], districts: set[str]) -> ParsedRegister:
    """Every line checked; `rows` holds the good ones, `errors` one message per bad one."""
    parsed = ParsedRegister()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        _read_rows(reader, parsed, services, districts)
    except csv.Error:  # a value longer than the csv module reads (128 KiB), or a quote it cannot follow
        parsed.errors.append(_on_line(reader.line_num or 1, gettext(
            "this line cannot be read as CSV (a value too long, or a quote not closed); nothing after it was read")))
    return parsed


def _read_rows(reader: csv.DictReader, parsed: ParsedRegister, services: set[str], districts: set[str]) -> None:
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        parsed.errors.append(_on_line(1, gettext("the header must name the columns %(columns)s (missing: %(missing)s)",
                                                 columns=", ".join(COLUMNS), missing=", ".join(missing))))
        return
    reader.fieldnames = header
    for record in reader:
        line = reader.line_num
        if line > MAX_LINES:
            parsed.errors.append(_on_line(line, gettext("a register file holds at most %(max)s lines",
                                                        max=format_number(MAX_LINES))))
            break
        if None in record:
            parsed.errors.append(_on_line(line, gettext("more values than columns (quote a value that holds a comma)")))
            continue
        result = _row(line, record, services, districts)
        if isinstance(result, str):
            parsed.errors.append(_on_line(line, result))
        else:
            parsed.rows.append(result)
