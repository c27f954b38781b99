"""`civicwatch audit verify`."""
from __future__ import annotations

import sys

import click
from sqlalchemy import Row, select

from civicwatch.audit.anchor import anchor_path, anchor_tip
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.queries import chain_breaks
from civicwatch.cli import cli
from civicwatch.extensions import db

SHOWN_BREAKS = 50  # a log changed in bulk lists the first of them and a count


@cli.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.option("--progress-every", type=click.IntRange(min=0), default=100_000, show_default=True,
              help="Say how many entries have been checked every this many (0: never).")
def verify_command(progress_every: int) -> None:
    """Check every entry's hash and link; name every broken entry and exit 1 if any."""
    checked, breaks = chain_breaks(_say_progress if progress_every else None, progress_every or 1)
    tip = _tip()
    if anchor_path() is None and tip is not None:
        click.echo("There is no anchor file (CIVICWATCH_AUDIT_ANCHOR_FILE is empty): entries deleted from the end "
                   "of the log cannot be seen here. Compare the newest entry with the copies of 'audit anchor' kept "
                   f"elsewhere: {tip.seq} {tip.hash}", err=True)
    if not breaks:
        click.echo(f"Audit log intact: {checked} entries verified.")
        return
    for broken in breaks[:SHOWN_BREAKS]:
        click.echo(f"Audit log BROKEN at entry {broken.seq} (id {broken.entry_id}): {broken.reason}.", err=True)
    if len(breaks) > SHOWN_BREAKS:
        click.echo(f"... and {len(breaks) - SHOWN_BREAKS} more broken entries.", err=True)
    click.echo(f"{checked} entries checked, {len(breaks)} broken.", err=True)
    sys.exit(1)


@audit_group.command("anchor")
@click.option("--write", is_flag=True, help="Also append it to the anchor file now (e.g. from cron).")
def anchor_command(write: bool) -> None:
    """Print the newest entry's number and hash, to keep somewhere the database administrators cannot write."""
    if write:
        anchor_tip(db.engine)
    tip = _tip()
    if tip is None:
        click.echo("The audit log is empty.")
        return
    click.echo(f"{tip.seq} {tip.hash}")


def _say_progress(checked: int) -> None:
    click.echo(f"{checked} entries checked so far...", err=True)


def _tip() -> Row[tuple[int, str]] | None:
    return db.session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
