"""`civicwatch uploads sweep`: remove stored files that no attachment names."""
from __future__ import annotations

import datetime as dt

import click

from civicwatch.cases.attachments import ORPHAN_MIN_AGE, sweep_orphaned_uploads
from civicwatch.cli import cli
from civicwatch.extensions import db


@cli.group("uploads")
def uploads_group() -> None:
    """Files citizens sent."""


@uploads_group.command("sweep")
@click.option("--min-age-minutes", type=click.IntRange(min=10), show_default=True,
              default=int(ORPHAN_MIN_AGE.total_seconds() // 60),
              help="Only files older than this: a report being sent right now has files but no row yet.")
def sweep_command(min_age_minutes: int) -> None:
    """Remove files in UPLOAD_DIR that no attachment names (left by a crash or a failed removal).
    The deliver worker does the same every hour."""
    report = sweep_orphaned_uploads(dt.timedelta(minutes=min_age_minutes))
    db.session.commit()
    click.echo(f"Removed {report.removed} orphaned files. Older files attached to cases: {report.referenced}; "
               f"files newer than {min_age_minutes} minutes, not looked at: {report.too_recent}.")
