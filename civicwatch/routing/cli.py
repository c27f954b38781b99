"""`civicwatch route-unrouted` and `civicwatch classify` (each text's reading by the active model, and the body
the rules send it to). `load-taxonomy` is in civicwatch/commands.py: a moved district reaches domains above
routing."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import IO, Any

import click

from civicwatch.classify.cli import active_classifier_or_exit
from civicwatch.cli import cli
from civicwatch.database import ID_MAX
from civicwatch.extensions import db
from civicwatch.routing.queries import routing_threshold, rule_values
from civicwatch.routing.rules import Reading, decide_route
from civicwatch.routing.sweep import route_never_routed_cases


@cli.command("route-unrouted")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, ID_MAX), help="Cases at most.")
def route_unrouted_command(limit: int) -> None:
    """Route cases that were stored but never routed (a crash between the two); `deliver` workers do this
    at start and every minute."""
    click.echo(f"Routed {route_never_routed_cases(limit)} cases that were stored but never routed.")


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(stream, start=1):
        if raw.strip():
            yield number, raw


def _parse_line(number: int, raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(record, None) or (None or the record, error message)."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "the line is not UTF-8 text"
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg})"
    if not isinstance(record, dict):
        return None, "each line must be a JSON object"
    if not isinstance(record.get("text"), str):
        return record, "the object has no 'text' string"
    return record, None


def _classify_batch(batch: list[tuple[int, bytes]]) -> int:
    classifier = active_classifier_or_exit()  # classify_command checked; a model changed since then may not be
    rules, threshold = rule_values(), routing_threshold(classifier.triage_threshold)
    parsed = [(number, *_parse_line(number, raw)) for number, raw in batch]
    # _parse_line gives a record whenever there is no error; `record is not None` says so to the type checker
    texts = [record["text"] for _, record, error in parsed if error is None and record is not None]
    results = iter(classifier.classify_many(texts) if texts else [])
    failures = 0
    for number, record, error in parsed:
        if error is not None or record is None:
            failures += 1
            output = {**(record or {}), "error": {"line": number, "message": error}}
        else:
            result = next(results)
            decision = decide_route(Reading(result.theme, result.actor, result.region, result.confidence),
                                    rules, threshold)
            output = {**record, "theme": result.theme, "confidence": result.confidence, "scores": result.scores,
                      "actor": result.actor, "region": result.region, "district": result.district,
                      "urgent": result.urgent, "body": decision.body, "routing_reason": decision.reason,
                      "model_version": result.model_version}
        click.echo(_json_line(output))
    return failures


def _json_line(output: dict) -> str:
    """The line in UTF-8 where it can be; a text holding a lone surrogate (valid JSON, not UTF-8) as escapes."""
    line = json.dumps(output, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(output)
    return line


@cli.command("classify")
@click.option("--batch-size", default=256, show_default=True, type=click.IntRange(1, 10_000),
              help="Lines read by the model at once: larger is faster, and the answers wait for a whole batch.")
def classify_command(batch_size: int) -> None:
    """Read JSONL ({"text": ...} per line) on standard input; write each line back with the reading and body.

    A bad line gets an "error" object and the others are still processed; the exit code is 1 if any
    line failed.
    """
    active_classifier_or_exit()
    db.session.rollback()  # it only reads: no transaction stays open while a slow pipe brings the next lines
    failures, batch = 0, []
    for item in _lines(sys.stdin.buffer):
        batch.append(item)
        if len(batch) >= batch_size:
            failures += _classify_batch(batch)
            db.session.rollback()
            batch = []
    if batch:
        failures += _classify_batch(batch)
    if failures:
        click.echo(f"{failures} line(s) could not be classified.", err=True)
        sys.exit(1)
