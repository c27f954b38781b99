"""`civicwatch retention ...`: the schedules, the dry run and the erasure, from the command line; and the erasure
as a periodic job of the `deliver` worker when RETENTION_APPLY_IN_WORKER is set."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

import click
from flask import Flask

from civicwatch.cli import WORKER_JOBS, WorkerJob, cli
from civicwatch.database import utcnow
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.retention import operations
from civicwatch.retention.erasure import RetentionRun, apply_retention
from civicwatch.retention.queries import DueCase, applicable_schedules, by_body, due_under, schedules


@cli.group("retention")
def retention_group() -> None:
    """Retention schedules, the dry run and the erasure of personal content."""


def _body_ids(code: str | None) -> list[int] | None:
    try:
        body = operations.find_body(code)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    return None if body is None else [body.id]


@retention_group.command("schedules")
def schedules_command() -> None:
    """List the schedules."""
    rows = schedules()
    if not rows:
        click.echo("No retention schedule: nothing is ever erased.")
    for schedule in rows:
        scope = schedule.body.code if schedule.body else "every body"
        click.echo(f"{scope}\t{schedule.status.value}\t{schedule.months} months")


@retention_group.command("set")
@click.argument("status")
@click.argument("months")
@click.option("--body", "body_code", help="The body's code; without it, every body without its own schedule.")
def set_command(status: str, months: str, body_code: str | None) -> None:
    """Erase the personal content of cases MONTHS months after they reached STATUS."""
    try:
        schedule = operations.set_schedule(None, operations.find_body(body_code), operations.parse_status(status),
                                           operations.parse_months(months))
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{schedule.status.value}: {schedule.months} months ({body_code or 'every body'}).")


@retention_group.command("unset")
@click.argument("status")
@click.option("--body", "body_code", help="The body's code; without it, the deployment-wide schedule.")
def unset_command(status: str, body_code: str | None) -> None:
    """Remove a schedule."""
    try:
        operations.remove_schedule(None, operations.find_body(body_code), operations.parse_status(status))
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo("Removed.")


@retention_group.command("dry-run")
@click.option("--body", "body_code", help="Only this body's cases.")
def dry_run_command(body_code: str | None) -> None:
    """List, per body, the cases whose personal content `apply` would erase today. Changes nothing."""
    body_ids = _body_ids(body_code)
    today = utcnow().date()
    found: list[DueCase] = []
    with click.progressbar(applicable_schedules(body_ids), label="Reading the schedules' cases") as bar:
        for schedule in bar:
            found += due_under(schedule, today, body_ids, include_held=True)
    db.session.rollback()
    for body, items in by_body(sorted(found, key=lambda due: (due.body_name, due.case_id))).items():
        going = [item for item in items if not item.held]
        click.echo(f"{body}: {len(going)} to erase, {len(items) - len(going)} kept by a legal hold")
        for item in items:
            state = "held" if item.held else "erase"
            click.echo(f"  {item.reference}\t{item.status.value} {item.reached_at:%Y-%m-%d}\t"
                       f"due {item.due_on:%Y-%m-%d}\t{state}")
    if not found:
        click.echo("Nothing is due.")


@retention_group.command("apply")
@click.option("--body", "body_code", help="Only this body's cases.")
def apply_command(body_code: str | None) -> None:
    """Erase the personal content of every case due today (run `dry-run` first to see which)."""
    run = apply_retention(None, _body_ids(body_code), progress=_progress_bar)
    click.echo(_summary(run))
    if run.failed:
        raise SystemExit(1)


def _progress_bar(items: Sequence[DueCase]) -> Iterator[DueCase]:
    with click.progressbar(items, label="Erasing") as bar:
        yield from bar


def _summary(run: RetentionRun) -> str:
    return (f"Retention: {run.erased} cases erased, {run.skipped} no longer due, {run.failed} failed "
            f"(retried next run); {run.files_removed} files removed.")


def _worker_every(app: Flask) -> dt.timedelta | None:
    if not app.config.get("RETENTION_APPLY_IN_WORKER"):
        return None
    return dt.timedelta(hours=float(app.config.get("RETENTION_WORKER_HOURS", 24)))


def _worker_run() -> str:
    run = apply_retention(None)
    return _summary(run) if run.erased or run.failed or run.files_removed else ""




WORKER_JOBS.append(WorkerJob("retention", _worker_every, _worker_run))
