"""`civicwatch audit verify`."""
from __future__ import annotations

import sys

import click

from civicwatch.audit.queries import verify_chain
from civicwatch.cli import cli


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
