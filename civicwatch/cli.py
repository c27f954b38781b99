"""The `flask --app wsgi civicwatch ...` command group; domain cli modules add their commands to it."""
from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import AppGroup

cli = AppGroup("civicwatch", help="CivicWatch administration commands.")

CLI_MODULES = (
    "civicwatch.taxonomy.cli",
    "civicwatch.accounts.cli",
    "civicwatch.audit.cli",
    "civicwatch.demo.cli",
    "civicwatch.messaging.cli",
    "civicwatch.intake.cli",
    "civicwatch.transparency.cli",
    "civicwatch.classify.cli",
)


def register_cli(app: Flask) -> None:
    for module in CLI_MODULES:
        importlib.import_module(module)
    if cli.name not in app.cli.commands:
        app.cli.add_command(cli)


# Work that `make run` needs done before serving (for example training a model when none exists).
# Each entry is "module:function"; the function takes no arguments and returns a line to print.
PREPARE_STEPS: tuple[str, ...] = (
    "civicwatch.transparency.cli:prepare_statistics",
    "civicwatch.classify.cli:prepare_model",
)


@cli.command("prepare")
def prepare_command() -> None:
    """Make sure everything the app needs at run time exists."""
    for step in PREPARE_STEPS:
        module_name, _, function_name = step.partition(":")
        message = getattr(importlib.import_module(module_name), function_name)()
        click.echo(message)
