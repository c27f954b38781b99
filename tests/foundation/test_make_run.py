"""`make run` and `make serve`: the port comes from PORT (the server, and the links the demo writes), the worker runs
beside the server, and the first run says how long it takes."""
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
    assert "127.0.0.1:5000" not in commands
    assert "--bind 127.0.0.1:5000" in make_dry_run("serve")
    assert "flask civicwatch deliver &" in commands  # the worker runs beside the server


def recipe_environment(name: str, **env: str) -> str:
    """The value of `name` in the environment of every recipe (the demo's and the server's), with `env` set and
    nothing else of the caller's `name`."""
    outside = {key: value for key, value in os.environ.items() if key != name}
    result = subprocess.run(["make", "--no-print-directory", "--eval", f"show:\n\t@echo ${{{name}}}", "show"],
                            cwd=ROOT, capture_output=True, text=True, env={**outside, **env}, timeout=60,
                            check=True)
    return result.stdout.strip()


def test_the_links_the_demo_writes_follow_the_port():
    """The demo's texts (written by `make demo-data`) link to the published answers: on the port served."""
    assert recipe_environment("PUBLIC_BASE_URL", PORT="8123") == "http://127.0.0.1:8123"
    assert recipe_environment("PUBLIC_BASE_URL") == "http://127.0.0.1:5000"
    assert recipe_environment("PUBLIC_BASE_URL", PUBLIC_BASE_URL="https://civicwatch.example.org") == (
        "https://civicwatch.example.org")


def test_the_first_run_says_how_long_it_takes():
    commands = make_dry_run("demo-data")
    assert "First run:" in commands and "minutes" in commands
