"""`civicwatch demo`: a ready-to-explore deployment on the embedded database."""
from __future__ import annotations

import secrets

import click

from civicwatch.cli import cli
from civicwatch.demo.operations import build_demo
from civicwatch.extensions import db


@cli.command("demo")
@click.option("--password", help="Password for every demo account (generated and printed when omitted).")
@click.option("--cases", "case_count", default=300, show_default=True, help="Demo cases to create.")
@click.option("--seed", default=2026, show_default=True)
def demo_command(password: str | None, case_count: int, seed: int) -> None:
    """Load the taxonomy, demo staff accounts and demo cases. Safe to run again."""
    password = password or secrets.token_urlsafe(12)
    with click.progressbar(length=case_count, label="Creating demo cases") as bar:
        summary = build_demo(password, case_count, seed, progress=bar.update)
    db.session.commit()
    click.echo(f"{summary.created_users} staff accounts created, {summary.created_cases} demo cases created, "
               f"{summary.published_answers} answers published.")
    click.echo("Demo sign-ins (all with the same password):")
    for email in summary.emails:
        click.echo(f"  {email}")
    click.echo(f"  password: {password}" if summary.created_users else
               "  password: unchanged (accounts already existed)")
