"""`civicwatch api-key ...`: keys for Open311 clients."""
from __future__ import annotations

import datetime as dt

import click
from sqlalchemy import or_, select

from civicwatch.cli import cli
from civicwatch.database import ID_MAX, utcnow
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.interfaces.models import ApiKey
from civicwatch.interfaces.operations import issue_api_key, revoke_api_key


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
    """Every key: id, first characters, status (with its end), last use, name, and an issuer who is deactivated."""
    keys = list(db.session.scalars(select(ApiKey).order_by(ApiKey.id)))
    now = utcnow()
    if not keys:
        click.echo("No API keys. Issue one with `civicwatch api-key issue NAME`.")
    for key in keys:
        status = _status(key, now)
        used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
        click.echo(f"{key.id}\t{key.prefix}…\t{status}\tlast used {used}\t{key.name}{_issuer_gone(key, now)}")


def _issuer_gone(key: ApiKey, now: dt.datetime) -> str:
    """As on the keys page: a key still usable whose issuer's account is deactivated, for someone to review."""
    issuer = key.created_by
    if issuer is None or issuer.active or not key.active or key.expired(now):
        return ""
    return f"\tby {issuer.name} (account deactivated)"


def _status(key: ApiKey, now: dt.datetime) -> str:
    if not key.active:
        return f"revoked {key.revoked_at:%Y-%m-%d}"
    if key.expires_at is None:
        return "active, no end date"
    return f"{'expired' if key.expired(now) else 'active until'} {key.expires_at:%Y-%m-%d}"


@api_key_group.command("revoke")
@click.argument("key")
def revoke_command(key: str) -> None:
    """Revoke KEY, given by its id or its first characters."""
    an_id = key.isascii() and key.isdigit() and len(key) <= 10 and int(key) <= ID_MAX  # a longer number is no id
    condition = or_(ApiKey.id == int(key), ApiKey.prefix == key) if an_id else ApiKey.prefix == key
    found = list(db.session.scalars(select(ApiKey).where(condition)))
    if len(found) != 1:
        raise click.ClickException("No single key matches; use the id shown by `api-key list`.")
    try:
        revoke_api_key(found[0], None)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Revoked key {found[0].id} ({found[0].name}).")
