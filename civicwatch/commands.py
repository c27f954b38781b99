"""Every `flask --app wsgi civicwatch ...` command: each domain's cli module adds its commands to the group in
cli.py; this module imports them all, adds `prepare`, and registers the group on the app."""
from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import click
from flask import Flask

from civicwatch.accounts import cli as accounts_cli
from civicwatch.audit import cli as audit_cli
from civicwatch.cases import cli as cases_cli
from civicwatch.classify import cli as classify_cli
from civicwatch.cli import cli
from civicwatch.demo import cli as demo_cli
from civicwatch.intake import cli as intake_cli
from civicwatch.interfaces import cli as interfaces_cli
from civicwatch.patterns import cli as patterns_cli
from civicwatch.retention import cli as retention_cli
from civicwatch.routing import cli as routing_cli
from civicwatch.sms import cli as sms_cli
from civicwatch.transparency import cli as transparency_cli

# The modules whose commands are on the group (importing them is what adds the commands).
COMMAND_MODULES: tuple[ModuleType, ...] = (
    routing_cli, accounts_cli, audit_cli, demo_cli, sms_cli, intake_cli, transparency_cli, interfaces_cli,
    classify_cli, patterns_cli, cases_cli, retention_cli,
)

# Work that `make run` needs done before serving (for example training a model when none exists).
# Each step takes no arguments and returns a line to print.
PREPARE_STEPS: tuple[Callable[[], str], ...] = (
    transparency_cli.prepare_statistics,
    classify_cli.prepare_model,
)


def register_cli(app: Flask) -> None:
    if cli.name not in app.cli.commands:
        app.cli.add_command(cli)


@cli.command("prepare")
def prepare_command() -> None:
    """Make sure everything the app needs at run time exists."""
    for step in PREPARE_STEPS:
        click.echo(step())
