"""`civicwatch statistics refresh`: the rollup behind the public statistics."""
from __future__ import annotations

import click

from civicwatch.cli import cli
from civicwatch.extensions import db
from civicwatch.transparency.rollup import refresh_statistics


@cli.group("statistics")
def statistics_group() -> None:
    """The rollup behind the public statistics."""


@statistics_group.command("refresh")
@click.option("--full", is_flag=True, help="Rebuild every month (after a bulk import or a restore).")
def refresh_command(full: bool) -> None:
    """Bring the statistics up to date (the public pages also do it when it is a minute old)."""
    result = refresh_statistics(full=full)
    db.session.commit()
    if result.skipped:
        click.echo("Another process is refreshing the statistics; nothing done.")
    else:
        click.echo(f"Recomputed {result.months} month(s){' (full rebuild)' if result.full else ''}.")


def prepare_statistics() -> str:
    """For `civicwatch prepare`: build the rollup when it was never built."""
    result = refresh_statistics()
    db.session.commit()
    return f"Statistics: {result.months} month(s) recomputed."
