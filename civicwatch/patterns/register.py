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
from civicwatch.text import one_line

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


def _fits(name: str) -> bool:
    """A name or alias the register can hold: some words, and no longer than its column, also once lower-cased
    for matching (a few letters, such as the Turkish dotted I, lower-case to two characters)."""
    words = alias_words(name)
    return bool(words) and len(name) <= NAME_MAX and len(words) <= NAME_MAX


def _plain(name: str) -> bool:
    """One line as staff pages show it: no line break, tab, control or direction character, no repeated spaces
    (which would make two subjects of one name)."""
    return one_line(name) == name


def _row(line: int, record: Mapping[str, str | None], services: set[str], districts: set[str]) -> SubjectRow | str:
    values = {key: (record.get(key) or "").strip() for key in COLUMNS}
    kinds = {k.value for k in SubjectKind}
    if values["kind"].lower() not in kinds:
        return gettext("kind must be one of %(kinds)s, not '%(kind)s'", kinds=", ".join(sorted(kinds)),
                       kind=values["kind"])
    if not _fits(values["name"]):
        return gettext("the name is missing or longer than %(max)s characters", max=NAME_MAX)
    if not _plain(values["name"]):
        return gettext("the name holds a line break, tab, control or direction character, or repeated spaces")
    if values["service"] and values["service"] not in services:
        return gettext("unknown service '%(service)s'", service=values["service"])
    if values["district"] and values["district"] not in districts:
        return gettext("unknown district '%(district)s'", district=values["district"])
    aliases = tuple(a.strip() for a in values["aliases"].split("|") if a.strip())
    if not all(_fits(a) for a in aliases):
        return gettext("an alias is empty of words or longer than %(max)s characters", max=NAME_MAX)
    if not all(_plain(a) for a in aliases):
        return gettext("an alias holds a line break, tab, control or direction character, or repeated spaces")
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
    # A misspelt column would be left out without a word (every district lost), a repeated one read once.
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        parsed.errors.append(_on_line(1, gettext("unknown column %(names)s (the columns are %(columns)s)",
                                                 names=", ".join(unknown), columns=", ".join(COLUMNS))))
        return
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        parsed.errors.append(_on_line(1, gettext("the column %(names)s is named twice", names=", ".join(twice))))
        return
    reader.fieldnames = header
    seen: dict[tuple[SubjectKind, str], int] = {}  # the line of each subject
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
        elif (result.kind, result.name) in seen:  # the later line would silently win over the first
            parsed.errors.append(_on_line(line, gettext("the same subject as line %(line)s (a subject is one line)",
                                                        line=seen[(result.kind, result.name)])))
        else:
            seen[(result.kind, result.name)] = line
            parsed.rows.append(result)
