"""An operator's commands against a PostgreSQL server that cannot be reached (stopped, the wrong port, a firewall)
end with one line naming the database's address (never its password) and what to check, and a failing status,
rather than forty lines of traceback whose cause is on the last one."""
from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicwatch import create_app
from tests.foundation.test_app_config import development
from tests.foundation.test_commands_empty_database import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "pw-not-to-print"


@pytest.fixture(scope="module")
def refused_url() -> Iterator[str]:
    """A port bound but not listening: every connection to it is refused, and no other process can take it."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        yield f"postgresql+psycopg://civicwatch:{PASSWORD}@127.0.0.1:{port}/civicwatch"


def said_in_one_line(output: str, port: str) -> None:
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if "cannot be reached" in line]
    assert len(lines) == 1, output
    assert f"127.0.0.1:{port}" in lines[0] and "DATABASE_URL" in lines[0], output
    assert PASSWORD not in output, output


def run_flask(args: list[str], url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=240, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                            "CIVICWATCH_INSTANCE": str(tmp_path), "DATABASE_URL": url})


@pytest.mark.parametrize("args", [["db", "upgrade"], ["db", "current"], ["civicwatch", "load-taxonomy"]],
                         ids=" ".join)
def test_the_flask_command_says_the_database_cannot_be_reached(tmp_path, refused_url, args):
    result = run_flask(args, refused_url, tmp_path)

    assert result.returncode != 0
    said_in_one_line(result.stdout + result.stderr, refused_url.rsplit(":", 1)[1].split("/")[0])


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_on_the_database_says_it(tmp_path, refused_url, command):
    app = create_app(development(tmp_path, SQLALCHEMY_DATABASE_URI=refused_url))

    result = app.test_cli_runner().invoke(args=["civicwatch", *command])

    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    said_in_one_line(result.output, refused_url.rsplit(":", 1)[1].split("/")[0])


def test_a_request_for_another_host_is_refused_while_the_database_is_away(tmp_path, refused_url, caplog):
    """A scanner's request with a foreign Host while the database is away: the 400 of any foreign Host, not a 500
    with two tracebacks in the log (the database's error page cannot be made for a host no URL is built for)."""
    app = create_app(development(tmp_path, SQLALCHEMY_DATABASE_URI=refused_url,
                                 TRUSTED_HOSTS=["civicwatch.example.org"]))

    response = app.test_client().get("/", headers={"Host": "scanner.example.net"})

    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert "Traceback" not in caplog.text


def test_a_password_with_a_bare_at_sign_is_never_printed(tmp_path, refused_url):
    """A password written with "@" unescaped ("pw@127.0.0.1:port/secret-word", where %40 was meant) is cut at its
    first "@": the rest is read as the host and the database's name. None of it may be printed; the line says how
    to write such a password."""
    address = refused_url.rsplit("@", 1)[1].split("/")[0]
    url = refused_url.replace(f":{PASSWORD}@", f":pw@{address}/secret-word@")
    app = create_app(development(tmp_path, SQLALCHEMY_DATABASE_URI=url))

    result = app.test_cli_runner().invoke(args=["civicwatch", *COMMANDS[0]])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "cannot be reached" in result.output, result.output
    assert "secret-word" not in result.output, result.output
    assert "%40" in result.output, result.output
