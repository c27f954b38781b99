"""What an operator writes in the environment: a switch or a count that cannot mean what was written stops the start
with a message naming the variable, rather than starting with the second factor off or every account locked."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _read_config(env: dict[str, str], expression: str = "None") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", f"import config; config.config_from_env(); print({expression})"], cwd=ROOT,
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env}, timeout=60)


@pytest.mark.parametrize("name, value", [
    ("CIVICWATCH_REQUIRE_TOTP", "ture"),
    ("CIVICWATCH_REQUIRE_TOTP", "enabled"),
    ("CIVICWATCH_DEMO_MODE", "nope"),
    ("CIVICWATCH_RETENTION_APPLY_IN_WORKER", "y"),
])
def test_a_switch_that_is_neither_on_nor_off_names_its_variable(name, value):
    """'ture' turned the second factor off for every staff account in production, silently."""
    result = _read_config({name: value})
    assert result.returncode != 0, result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    assert name in last_line and repr(value) in last_line and "true" in last_line, last_line


@pytest.mark.parametrize("value, expected", [("on", "True"), ("No", "False"), ("0", "False"), ("", "True")])
def test_switches_read_the_usual_words(value, expected):
    result = _read_config({"CIVICWATCH_REQUIRE_TOTP": value}, "config.Config.REQUIRE_TOTP")
    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.parametrize("name, value", [
    ("CIVICWATCH_TOTP_MAX_FAILURES", "0"),
    ("CIVICWATCH_LOGIN_LOCKOUT_AFTER", "-3"),
    ("CIVICWATCH_LOGIN_LOCKOUT_MINUTES", "-1"),
    ("CIVICWATCH_LOGIN_ACCOUNT_CEILING", "0"),
    ("CIVICWATCH_LOGIN_ACCOUNT_LOCK_MINUTES", "-5"),
    ("CIVICWATCH_STAFF_IDLE_MINUTES", "0"),
    ("CIVICWATCH_DISCLOSURE_MAX_HOURS", "0"),
    ("CIVICWATCH_SHARE_MAX_DAYS", "-1"),
    ("CIVICWATCH_SHARE_ASK_AGAIN_DAYS", "-1"),
])
def test_a_count_out_of_range_names_its_variable(name, value):
    """TOTP_MAX_FAILURES=0 locked every second factor at the first code; STAFF_IDLE_MINUTES=0 signed every staff
    member out at each click; a negative lockout never locked anyone out."""
    result = _read_config({name: value})
    assert result.returncode != 0, result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    assert name in last_line and repr(value) in last_line and "at least" in last_line, last_line


@pytest.mark.parametrize("value, expected", [("", "auto"), ("AUTO", "auto"), ("1", "True"), ("off", "False")])
def test_queued_web_reports_read_auto_or_a_switch(value, expected):
    result = _read_config({"CIVICWATCH_WEB_REPORTS_QUEUED": value}, "config.Config.WEB_REPORTS_QUEUED")
    assert result.stdout.strip() == expected, result.stderr


def test_queued_web_reports_refuse_any_other_word():
    result = _read_config({"CIVICWATCH_WEB_REPORTS_QUEUED": "sometimes"})
    assert result.returncode != 0, result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    assert "CIVICWATCH_WEB_REPORTS_QUEUED" in last_line and "'sometimes'" in last_line and "auto" in last_line
