"""`civicwatch demo`: a ready-to-explore deployment on the embedded database."""
from __future__ import annotations

import secrets

import click
from flask import current_app

from civicwatch.cli import cli
from civicwatch.demo.operations import build_demo
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.settings import is_production


@cli.command("demo")
@click.option("--password", help="Password for every demo account (generated and printed when omitted).")
@click.option("--cases", "case_count", default=300, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Demo cases to create (1 to 1,000,000).")
@click.option("--seed", default=2026, show_default=True,
              help="Chooses the demo cases' texts, dates and statuses: the same seed gives the same demo.")
def demo_command(password: str | None, case_count: int, seed: int) -> None:
    """Load the taxonomy, demo staff accounts and demo cases. Safe to run again; refused in production and on a
    database with staff or cases it did not write."""
    if is_production(current_app.config):
        raise click.ClickException("The demo creates staff accounts with one shared password and invented cases: "
                                   "it never runs in production (CIVICWATCH_ENV=production).")
    password = password or secrets.token_urlsafe(12)
    try:
        with click.progressbar(length=case_count, label="Creating demo cases") as bar:
            summary = build_demo(password, case_count, seed, progress=bar.update)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"{summary.created_users} staff accounts created, {summary.created_cases} demo cases created, "
               f"{summary.published_answers} answers published.")
    click.echo("Demo sign-ins (all with the same password):")
    for email in summary.emails:
        click.echo(f"  {email}")
    click.echo(f"  password: {password}" if summary.created_users else
               "  password: unchanged (accounts already existed)")
