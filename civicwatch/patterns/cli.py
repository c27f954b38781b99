"""`civicwatch subjects import` (a body's register of units, posts and officers from a CSV file),
`civicwatch patterns detect` (the pattern job) and `civicwatch patterns relate` (related cases of queued new
cases)."""
from __future__ import annotations

import click

from civicwatch.cli import cli
from civicwatch.database import ID_MAX
from civicwatch.extensions import db
from civicwatch.patterns.operations import import_subjects
from civicwatch.patterns.queries import register_codes
from civicwatch.patterns.register import parse_register
from civicwatch.patterns.sweep import detect_patterns, propose_queued_relations
from civicwatch.taxonomy.models import Body


@cli.group("subjects")
def subjects_group() -> None:
    """The subject registers: security units, posts and officers that complaints name."""


@subjects_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--body", "body_code", required=True, help="Code of the body whose register this is.")
def import_command(path: str, body_code: str) -> None:
    """Add or update subjects from a CSV file (kind,name,service,district,aliases; aliases separated by |).
    Every bad line is named and nothing is imported until the file is clean."""
    body = db.session.query(Body).filter_by(code=body_code).one_or_none()
    if body is None:
        raise click.ClickException(f"There is no body with the code {body_code!r}.")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise click.ClickException("The file is not UTF-8 text.") from exc
    parsed = parse_register(text, *register_codes())
    if parsed.errors:
        for line in parsed.errors:
            click.echo(line, err=True)
        raise click.ClickException(f"{len(parsed.errors)} bad lines; nothing was imported.")
    with click.progressbar(length=len(parsed.rows), label="Importing subjects") as bar:
        report = import_subjects(body, None, parsed.rows, progress=lambda done: bar.update(1))
    db.session.commit()
    click.echo(report.summary(body.name))


@cli.group("patterns")
def patterns_group() -> None:
    """Pattern alerts across cases."""


@patterns_group.command("detect")
def detect_command() -> None:
    """Look for clusters above the thresholds (PATTERN_RULES) and raise their alerts; `deliver` workers do this
    at start and every PATTERN_SWEEP_MINUTES."""
    try:
        report = detect_patterns()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Pattern alerts: {report.raised} raised, {report.updated} updated.")


@patterns_group.command("relate")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, ID_MAX), help="At most this many queued cases.")
def relate_command(limit: int) -> None:
    """Propose the related and duplicate cases of the new cases waiting for it; `deliver` workers do this on
    every round."""
    click.echo(f"Related cases proposed for {propose_queued_relations(limit)} new cases.")
