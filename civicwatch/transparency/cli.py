"""`civicwatch api-key ...` for Open311 clients and `civicwatch statistics refresh`."""
from __future__ import annotations

import click
from sqlalchemy import or_, select

from civicwatch.cli import cli
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.transparency.models import ApiKey
from civicwatch.transparency.operations import issue_api_key, revoke_api_key
from civicwatch.transparency.rollup import refresh_statistics


@cli.group("api-key")
def api_key_group() -> None:
    """Keys for Open311 clients (reading needs none; sending complaints does)."""


@api_key_group.command("issue")
@click.argument("name")
def issue_command(name: str) -> None:
    """Issue a key for NAME (the organisation or app). The key is printed once; only a fingerprint is kept."""
    try:
        key, secret = issue_api_key(name, None)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Issued key {key.id} for {key.name}:")
    click.echo(secret)


@api_key_group.command("list")
def list_command() -> None:
    """Every key: id, first characters, status, last use."""
    for key in db.session.scalars(select(ApiKey).order_by(ApiKey.id)):
        status = "active" if key.active else f"revoked {key.revoked_at:%Y-%m-%d}"
        used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
        click.echo(f"{key.id}\t{key.prefix}…\t{status}\tlast used {used}\t{key.name}")


@api_key_group.command("revoke")
@click.argument("key")
def revoke_command(key: str) -> None:
    """Revoke KEY, given by its id or its first characters."""
    condition = ApiKey.prefix == key if not key.isdigit() else or_(ApiKey.id == int(key), ApiKey.prefix == key)
    found = list(db.session.scalars(select(ApiKey).where(condition)))
    if len(found) != 1:
        raise click.ClickException("No single key matches; use the id shown by `api-key list`.")
    try:
        revoke_api_key(found[0], None)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Revoked key {found[0].id} ({found[0].name}).")


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
