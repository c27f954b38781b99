"""Open data: CSV and JSON of the published answers, produced as generators.

The answers are read from the database in batches and written row by row (into the download's temporary file,
open_data.download), so an export of every answer takes the same memory as an export of ten.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from civicwatch.open_data import csv_line, iso, safe_text
from civicwatch.publishing.queries import AnswerSearch, PublicAnswer, stream_answers

ANSWER_COLUMNS = (
    "reference", "version", "status", "published_at", "withdrawn_at", "withdraw_reason", "received_on",
    "answered_on", "case_status", "body_code", "body_name", "theme_code", "theme_name", "outcome", "region",
    "summary", "response", "url",
)


def answer_record(answer: PublicAnswer, base_url: str) -> dict[str, Any]:
    return {
        "reference": answer.reference,
        "version": answer.version,
        "status": answer.status,
        "published_at": iso(answer.published_at),
        "withdrawn_at": iso(answer.withdrawn_at),
        "withdraw_reason": answer.withdraw_reason,
        "received_on": iso(answer.received_on),
        "answered_on": iso(answer.answered_on),
        "case_status": "open" if answer.case_open else "closed",
        "body_code": answer.body_code,
        "body_name": answer.body_name,
        "theme_code": answer.theme_code,
        "theme_name": answer.theme_name,
        "outcome": answer.outcome,
        "region": answer.region_name,
        "summary": answer.summary,
        "response": answer.response,
        "url": f"{base_url}/published/{answer.reference}",
    }


TEXT_COLUMNS = {"withdraw_reason", "body_name", "theme_name", "region", "summary", "response"}


def answers_csv(search: AnswerSearch, base_url: str) -> Iterator[str]:
    yield csv_line(ANSWER_COLUMNS)
    for answer in stream_answers(search):
        record = answer_record(answer, base_url)
        yield csv_line(safe_text(record[c]) if c in TEXT_COLUMNS else ("" if record[c] is None else record[c])
                        for c in ANSWER_COLUMNS)


def answers_json(search: AnswerSearch, base_url: str, meta: dict[str, Any]) -> Iterator[str]:
    yield json.dumps(meta)[:-1] + ', "answers": ['
    separator = ""
    for answer in stream_answers(search):
        yield separator + json.dumps(answer_record(answer, base_url))
        separator = ", "
    yield "]}\n"
