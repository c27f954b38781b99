"""`civicwatch create-user`."""
from __future__ import annotations

import click
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.accounts.operations import create_user
from civicwatch.cli import cli
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body


@cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--body", "body_code", help="Body code, for investigators.")
@click.password_option(help="Prompted for when not given.")
def create_user_command(email: str, name: str, role: str, body_code: str | None, password: str) -> None:
    """Create a staff account."""
    body = db.session.scalar(select(Body).where(Body.code == body_code)) if body_code else None
    if body_code and body is None:
        raise click.BadParameter(f"no body with code {body_code!r}; run load-taxonomy first", param_hint="--body")
    try:
        user = create_user(email, name or email, Role(role), password, body=body)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}.")
