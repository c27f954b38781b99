"""A setting the app cannot start with ends every way of starting it (a `flask` command, gunicorn, `python wsgi.py`)
with its message alone, naming the variable and what to put, and a failing exit status. A Python traceback above
the message read as a crash of the app, not as a line of the configuration to fix. Under gunicorn the status is the
one its arbiter stops on ("App failed to load"), rather than starting a worker that fails again and again."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from gunicorn.arbiter import Arbiter

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Production without its secrets (refused by civicwatch/settings.py), and a count config.py cannot take.
BAD_SETTINGS = {
    "missing-secret": ({}, "SECRET_KEY", "make one with"),
    "count-out-of-range": ({"CIVICWATCH_STAFF_IDLE_MINUTES": "0"}, "CIVICWATCH_STAFF_IDLE_MINUTES", "at least 1"),
}
# The worker's timeout well above a slow machine's import of the app: a worker killed while it imports is started
# again, whatever the settings.
GUNICORN = [str(BIN / "gunicorn"), "--bind", "127.0.0.1:0", "--timeout", "300"]
STARTS = {
    "flask-command": [str(BIN / "flask"), "--app", "wsgi", "routes"],
    "python-wsgi": [sys.executable, "wsgi.py"],
    "gunicorn": [*GUNICORN, "wsgi:app"],
    "gunicorn-preload": [*GUNICORN, "--preload", "wsgi:app"],
}


def start(command: list[str], tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it, in production; a gunicorn that restarts its workers never returns, and
    the timeout fails the test."""
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CIVICWATCH_ENV": "production",
                               "CIVICWATCH_INSTANCE": str(tmp_path), **env})


@pytest.mark.parametrize("how", STARTS)
@pytest.mark.parametrize("setting", BAD_SETTINGS)
def test_a_bad_setting_ends_the_start_with_its_message_and_no_traceback(tmp_path, how, setting):
    env, variable, what_to_put = BAD_SETTINGS[setting]
    result = start(STARTS[how], tmp_path, env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert variable in output and what_to_put in output, output


@pytest.mark.parametrize("how", ["gunicorn", "gunicorn-preload"])
def test_gunicorn_stops_rather_than_restart_the_worker(tmp_path, how):
    result = start(STARTS[how], tmp_path, {})
    assert result.returncode == Arbiter.APP_LOAD_ERROR, result.stderr
    assert result.stderr.count("Booting worker") <= 1, result.stderr  # none again after it failed


def test_gunicorn_with_several_workers_stops_too(tmp_path):
    """gunicorn.conf.py makes the app in the master first: it stops before any worker starts (tests/foundation/
    test_gunicorn_start.py)."""
    result = start([*GUNICORN, "--workers", "3", "wsgi:app"], tmp_path, {})
    assert result.returncode == Arbiter.APP_LOAD_ERROR, result.stderr
    assert "Booting worker" not in result.stderr, result.stderr


def test_wsgi_exits_with_gunicorns_own_status():
    wsgi = (ROOT / "wsgi.py").read_text(encoding="utf-8")
    assert f"APP_LOAD_ERROR = {Arbiter.APP_LOAD_ERROR}" in wsgi
