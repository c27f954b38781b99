"""`civicwatch audit verify`."""
from __future__ import annotations

import sys

import click
from sqlalchemy import select

from civicwatch.audit.anchor import anchor_tip
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.queries import verify_chain
from civicwatch.cli import cli
from civicwatch.extensions import db


@cli.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
def verify_command() -> None:
    """Check every entry's hash and link; name the first broken entry and exit 1 if any."""
    checked, broken = verify_chain()
    if broken is None:
        click.echo(f"Audit log intact: {checked} entries verified.")
        return
    click.echo(
        f"Audit log BROKEN at entry {broken.seq} (id {broken.entry_id}): {broken.reason}. "
        f"{checked} entries before it are intact.",
        err=True,
    )
    sys.exit(1)


@audit_group.command("anchor")
@click.option("--write", is_flag=True, help="Also append it to the anchor file now (e.g. from cron).")
def anchor_command(write: bool) -> None:
    """Print the newest entry's number and hash, to keep somewhere the database administrators cannot write."""
    if write:
        anchor_tip(db.engine)
    tip = db.session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    if tip is None:
        click.echo("The audit log is empty.")
        return
    click.echo(f"{tip.seq} {tip.hash}")
