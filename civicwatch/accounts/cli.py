"""`civicwatch create-user`, `unlock-two-factor`, `identity-custodian`, `reset-password` and `reset-two-factor`."""
from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import select

from civicwatch.accounts.models import BODY_ROLES, Role
from civicwatch.accounts.operations import (
    check_new_account,
    create_user,
    find_user_by_email,
    normalise_email,
    reset_password,
    set_identity_custodian,
)
from civicwatch.accounts.totp import has_totp, reset_totp, second_factor_locked, unlock_second_factor
from civicwatch.cli import cli
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body


@cli.command("create-user")
@click.option("--email", required=True, help="The address the staff member signs in with.")
@click.option("--name", default="", help="Their name as colleagues see it (default: the email).")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True,
              help="What they may do; investigators and committee members also need --body.")
@click.option("--body", "body_code", help="Body code, for investigators and community committee members.")
@click.option("--password", help="Prompted for (twice, hidden) when not given.")
def create_user_command(email: str, name: str, role: str, body_code: str | None, password: str | None) -> None:
    """Create a staff account."""
    body = db.session.scalar(select(Body).where(Body.code == body_code)) if body_code else None
    if body_code and body is None:
        raise click.BadParameter(f"no body with code {body_code!r}; run load-taxonomy first", param_hint="--body")
    if body is not None and Role(role) not in BODY_ROLES:
        raise click.BadParameter(f"a {role} account belongs to no body; leave --body out", param_hint="--body")
    try:  # everything but the password is checked before asking for it
        check_new_account(normalise_email(email), Role(role), body)
        password = password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
        user = create_user(email, name or email, Role(role), password, body=body)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}.")


@cli.command("unlock-two-factor")
@click.option("--email", required=True, help="The staff member's sign-in address.")
def unlock_two_factor_command(email: str) -> None:
    """Let a staff member try authenticator codes again after too many wrong ones (e.g. the last admin)."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException("no account with that email")
    if not second_factor_locked(user) and not user.totp_failures:
        click.echo(f"The two-factor sign-in of {user.email} is not locked.")
        return
    unlock_second_factor(user, actor=None)
    db.session.commit()
    click.echo(f"Unlocked the two-factor sign-in of {user.email}.")


@cli.command("identity-custodian")
@click.option("--email", required=True, help="The staff member's sign-in address.")
@click.option("--revoke", is_flag=True, help="Take the duty away instead.")
def identity_custodian_command(email: str, revoke: bool) -> None:
    """Make a staff member a custodian of the identity vault (who approves disclosure requests), or revoke it."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException("no account with that email")
    set_identity_custodian(user, not revoke, actor=None)
    db.session.commit()
    click.echo(f"{user.email} is {'no longer' if revoke else 'now'} an identity custodian.")


@cli.command("reset-password")
@click.option("--email", required=True, help="The staff member's sign-in address.")
def reset_password_command(email: str) -> None:
    """Give a staff member a temporary password, printed once, to be changed at their next sign-in (the only way
    for an admin's, and for when no admin can sign in to do it on the staff accounts page)."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException("no account with that email")
    temporary = reset_password(user, actor=None)
    db.session.commit()
    click.echo(f"{user.email} must choose a new password at their next sign-in; their sessions were ended.")
    click.echo(f"Temporary password: {temporary}")
    click.echo(f"It works for {current_app.config['TEMPORARY_PASSWORD_HOURS']} hours: after that, reset it again.")


@cli.command("reset-two-factor")
@click.option("--email", required=True, help="The staff member's sign-in address.")
def reset_two_factor_command(email: str) -> None:
    """Clear a lost authenticator: the staff member sets up a new one at their next sign-in (the only way for an
    admin's). Their sessions end."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException("no account with that email")
    if not has_totp(user):
        click.echo(f"{user.email} has no authenticator set up.")
        return
    reset_totp(user, actor=None)
    db.session.commit()
    click.echo(f"The authenticator of {user.email} was reset; they set up a new one at their next sign-in.")
