"""`flask --app wsgi civicwatch ... --help` says what every command does and what each of its options is for: the
operators who run them at night have nothing else at hand."""
from __future__ import annotations

from collections.abc import Iterator

import click

from civicwatch.cli import cli


def _commands(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def test_every_command_and_option_says_what_it_is_for(app) -> None:
    silent = []
    for path, command in _commands(cli, ("civicwatch",)):
        if not (command.help or "").strip():
            silent.append(" ".join(path))
        silent += [f"{' '.join(path)} {option.opts[0]}" for option in command.params
                   if isinstance(option, click.Option) and not option.hidden and not (option.help or "").strip()]
    assert silent == []
