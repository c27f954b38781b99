"""Reading a subject register from CSV: one subject a line, every bad line named with what is wrong with it.

Columns (a header line names them): kind (unit, post or officer), name, service (an actor code, optional),
district (a district code, optional), aliases (optional, separated by "|").
"""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

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
    errors: list[str] = field(default_factory=list)  # "line 4: ..."


def _row(line: int, record: Mapping[str, str | None], services: set[str], districts: set[str]) -> SubjectRow | str:
    values = {key: (record.get(key) or "").strip() for key in COLUMNS}
    kinds = {k.value for k in SubjectKind}
    if values["kind"].lower() not in kinds:
        return f"kind must be one of {', '.join(sorted(kinds))}, not {values['kind']!r}"
    if not values["name"] or len(values["name"]) > NAME_MAX or not alias_words(values["name"]):
        return f"the name is missing or longer than {NAME_MAX} characters"
    if values["service"] and values["service"] not in services:
        return f"unknown service {values['service']!r}"
    if values["district"] and values["district"] not in districts:
        return f"unknown district {values['district']!r}"
    aliases = tuple(a.strip() for a in values["aliases"].split("|") if a.strip())
    if any(len(a) > NAME_MAX or not alias_words(a) for a in aliases):
        return f"an alias is empty of words or longer than {NAME_MAX} characters"
    return SubjectRow(line, SubjectKind(values["kind"].lower()), values["name"], values["service"] or None,
                      values["district"] or None, aliases)


def parse_register(text: str, services: set[str], districts: set[str]) -> ParsedRegister:
    """Every line checked; `rows` holds the good ones, `errors` one message per bad one."""
    parsed = ParsedRegister()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        parsed.errors.append(f"line 1: the header must name the columns {', '.join(COLUMNS)} "
                             f"(missing: {', '.join(missing)})")
        return parsed
    reader.fieldnames = header
    for record in reader:
        line = reader.line_num
        if line > MAX_LINES:
            parsed.errors.append(f"line {line}: a register file holds at most {MAX_LINES:,} lines")
            break
        if None in record:
            parsed.errors.append(f"line {line}: more values than columns (quote a value that holds a comma)")
            continue
        result = _row(line, record, services, districts)
        if isinstance(result, str):
            parsed.errors.append(f"line {line}: {result}")
        else:
            parsed.rows.append(result)
    return parsed
