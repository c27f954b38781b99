"""`gunicorn wsgi:app` with several workers, as production runs it, on a setting the app cannot start with: the
master says it once, in one line, and stops with gunicorn's "App failed to load" before any worker starts. Each
worker used to load the app, print the message and exit, and two exiting at the same instant made gunicorn's
arbiter print a traceback of its own as it stopped. A database that cannot be reached is said once at start, in
one line naming its address (not its password): the workers start anyway, answer 503 and recover by themselves
once it is back."""
from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from cryptography.fernet import Fernet
from gunicorn.arbiter import Arbiter

from tests.foundation.test_settings_start import GUNICORN, start

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-not-to-print"


def test_a_bad_setting_stops_gunicorn_once_before_its_workers_start(tmp_path):
    result = start([*GUNICORN, "--workers", "3", "wsgi:app"], tmp_path, {})
    output = result.stdout + result.stderr

    assert result.returncode == Arbiter.APP_LOAD_ERROR, output
    assert "Traceback" not in output, output
    assert output.count("CivicWatch cannot start: SECRET_KEY") == 1, output
    assert "Booting worker" not in output, output


def production_settings(database_url: str) -> dict[str, str]:
    return {"SECRET_KEY": "s" * 48, "CIVICWATCH_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "CIVICWATCH_IDENTITY_KEY": Fernet.generate_key().decode(),
            "CIVICWATCH_EVIDENCE_KEY": Fernet.generate_key().decode(), "CIVICWATCH_AUDIT_KEY": "a" * 40,
            "PUBLIC_BASE_URL": "https://civicwatch.example.org", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
            "DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "CIVICWATCH_ENV": "production"}


def test_a_database_that_cannot_be_reached_is_said_once_at_start(tmp_path):
    with socket.socket() as bound:  # bound, not listening: connections to it are refused
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        env = {**production_settings(f"postgresql://civicwatch:{PASSWORD}@127.0.0.1:{port}/civicwatch"),
               "HOME": str(tmp_path), "CIVICWATCH_INSTANCE": str(tmp_path)}
        lines = []
        with subprocess.Popen([*GUNICORN, "--workers", "2", "wsgi:app"], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as server:
            try:
                deadline = time.monotonic() + 240
                while time.monotonic() < deadline and server.stdout is not None:
                    line = server.stdout.readline()
                    lines.append(line)
                    if "Booting worker" in line or not line:
                        break
            finally:
                server.terminate()
                server.wait(timeout=60)
    output = "".join(lines)

    said = [line for line in lines if "cannot be reached" in line]
    assert len(said) == 1 and f"127.0.0.1:{port}" in said[0] and "503" in said[0], output
    assert "Traceback" not in output and PASSWORD not in output, output
