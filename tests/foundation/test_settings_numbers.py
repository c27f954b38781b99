"""Settings checked at start: a bad value stops the app at start with a message naming the variable, rather than
starting and failing every citizen's report later, or ending in a bare ValueError that names nothing."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from civicwatch import create_app
from civicwatch.settings import SettingsError
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("weekend", [(6, 7), (0, 1, 2, 3, 4, 5, 6), ("5", "6")],
                         ids=["iso-sunday-7", "all-seven", "not-numbers"])
def test_an_impossible_weekend_is_refused_at_start(database_url, tmp_path, weekend):
    """Sunday as 7 (ISO numbering) started the app, and then every report failed with a 500."""
    with pytest.raises(SettingsError, match="WEEKEND_DAYS"):
        create_app(make_config(database_url, tmp_path, WEEKEND_DAYS=weekend))


@pytest.mark.parametrize("name, value", [
    ("CIVICWATCH_UPLOAD_CONCURRENCY", "two"),
    ("CIVICWATCH_UPLOAD_CONCURRENCY", "0"),
    ("CIVICWATCH_OUTBOX_MAX_AGE_HOURS", "2d"),
    ("CIVICWATCH_UPLOAD_WAIT_SECONDS", "-1"),
    ("CIVICWATCH_AUDIT_ANCHOR_INTERVAL_SECONDS", "nan"),
    ("CIVICWATCH_TRUSTED_PROXIES", "yes"),
    ("CIVICWATCH_SMALL_COUNT_THRESHOLD", "five"),
    ("CIVICWATCH_SMALL_COUNT_THRESHOLD", "0"),
    ("CIVICWATCH_WEEKEND_DAYS", "sat,sun"),
    ("CIVICWATCH_SMS_SET_ASIDE_KEEP_DAYS", "thirty"),
    ("CIVICWATCH_SMS_SET_ASIDE_KEEP_DAYS", "0"),
    ("CIVICWATCH_WEEKEND_DAYS", "6,7"),
])
def test_a_malformed_number_in_the_environment_names_its_variable(name, value):
    result = subprocess.run([sys.executable, "-c", "import config; config.config_from_env()"], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", name: value}, timeout=60)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert name in last_line and repr(value) in last_line, last_line


def test_good_values_are_read():
    script = "import config; c = config.Config; print(c.UPLOAD_CONCURRENCY, c.WEEKEND_DAYS, c.UPLOAD_WAIT_SECONDS)"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "CIVICWATCH_UPLOAD_CONCURRENCY": "2",
                                 "CIVICWATCH_WEEKEND_DAYS": "4, 5", "CIVICWATCH_UPLOAD_WAIT_SECONDS": "7.5"})
    assert result.stdout.split("\n")[0] == "2 (4, 5) 7.5", result.stderr
