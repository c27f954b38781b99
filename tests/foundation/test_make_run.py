"""`make run` and `make serve`: the port comes from PORT, and the first run says how long it takes."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def make_dry_run(target: str, **env: str) -> str:
    result = subprocess.run(["make", "-n", "--no-print-directory", target], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, **env}, timeout=60, check=True)
    return result.stdout


def test_serve_honours_port():
    commands = make_dry_run("serve", PORT="8123")
    assert "--bind 127.0.0.1:8123" in commands and "http://127.0.0.1:8123/login" in commands
    assert "PUBLIC_BASE_URL:-http://127.0.0.1:8123" in commands  # links the app writes point at the same port
    assert "127.0.0.1:5000" not in commands
    assert "--bind 127.0.0.1:5000" in make_dry_run("serve")


def test_the_first_run_says_how_long_it_takes():
    commands = make_dry_run("demo-data")
    assert "First run:" in commands and "minutes" in commands
