"""An operator's first commands on a fresh machine, before `flask db upgrade` made the tables: each says to run the
upgrade and exits with an error, rather than printing a database traceback ("no such table: users")."""
from __future__ import annotations

import pytest

COMMANDS = [
    ["demo", "--password", "a-long-enough-password"],
    ["prepare"],
    ["load-taxonomy"],
    ["train"],
    ["deliver", "--once"],
    ["statistics", "refresh"],
    ["audit", "verify"],
    ["audit", "anchor"],
    ["holidays", "list"],
    ["api-key", "list"],
    ["retention", "schedules"],
    ["retention", "apply"],
    ["cases", "check-counts"],
    ["route-unrouted"],
    ["patterns", "detect"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_command_before_the_database_is_made_says_to_upgrade_it(empty_app, command):
    result = empty_app.test_cli_runner().invoke(args=["civicwatch", *command])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "flask --app wsgi db upgrade" in result.output, result.output


def test_help_needs_no_database(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["civicwatch", "train", "--help"])
    assert result.exit_code == 0 and "Train" in result.output
