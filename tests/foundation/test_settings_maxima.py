"""Every number setting has a largest sane value, checked at start: a huge one (an extra zero or ten) stops the start
with a message naming the variable and its range, rather than starting and failing later at request time (a day
count past the calendar's end made every staff sign-in a 500)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import config
from civicwatch import create_app
from civicwatch.settings import SettingsError
from tests.conftest import PASSWORD, csrf_token, make_config
from tests.foundation.test_readme_settings import _read_by_config

ROOT = Path(__file__).resolve().parents[2]
HUGE = 10**13
# Every number config.py sets (not a switch, not a setting that may be None), and the variable that sets it.
NUMBER_SETTINGS = sorted(name for name, value in vars(config.Config).items()
                         if name.isupper() and isinstance(value, int | float) and not isinstance(value, bool))
VARIABLES = _read_by_config()


def test_the_settings_are_found():
    assert {"STAFF_IDLE_MINUTES", "LOGIN_KNOWN_NETWORK_DAYS", "OUTBOX_MAX_AGE_HOURS", "TWILIO_TIMEOUT_SECONDS",
            "MAX_CONTENT_LENGTH"} <= set(NUMBER_SETTINGS)


@pytest.mark.parametrize("name", NUMBER_SETTINGS)
def test_a_huge_number_is_refused_at_start_naming_its_variable_and_range(database_url, tmp_path, name):
    variable = VARIABLES.get(name, name)
    with pytest.raises(SettingsError, match=rf"^{re.escape(variable)} must be .*from [0-9.]+ .*to [0-9.]+"):
        create_app(make_config(database_url, tmp_path, **{name: HUGE}))


def test_the_shipped_values_start(database_url, tmp_path):
    create_app(make_config(database_url, tmp_path, **{name: getattr(config.Config, name) for name in NUMBER_SETTINGS}))


def test_a_huge_count_of_days_is_refused_at_start_not_a_500_at_every_sign_in(app, make_user, database_url, tmp_path):
    user = make_user()
    with pytest.raises(SettingsError, match="CIVICWATCH_LOGIN_KNOWN_NETWORK_DAYS"):
        started = create_app(make_config(database_url, tmp_path, LOGIN_KNOWN_NETWORK_DAYS=HUGE))
        # Before: the app started, then every sign-in failed (a date before year 1).
        client = started.test_client()
        response = client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email,
                                               "password": PASSWORD})
        assert response.status_code != 500


def test_a_huge_number_in_the_environment_stops_the_start(tmp_path):
    keys = {"SECRET_KEY": "s" * 48, "CIVICWATCH_ENCRYPTION_KEY": "lbn3C9xZHpzUQGJH0Sp0jU3Zms0m7BnVYNn9yEKcgUE=",
            "CIVICWATCH_IDENTITY_KEY": "Cq0u9m4yS7mWk2vE1Jx8b3dH6fT5nR0pL2aZ4cV7gQk=",
            "CIVICWATCH_EVIDENCE_KEY": "bdOTGepkMMnR_GAJKa-UgLv7-Z7PCn2GrYqxyq07wfk=",
            "CIVICWATCH_AUDIT_KEY": "a" * 48}
    result = subprocess.run(
        [sys.executable, "wsgi.py"], cwd=ROOT, capture_output=True, text=True, timeout=240,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CIVICWATCH_ENV": "production", **keys,
             "DATABASE_URL": f"sqlite:///{tmp_path / 'civicwatch.sqlite3'}", "CIVICWATCH_INSTANCE": str(tmp_path),
             "PUBLIC_BASE_URL": "https://civicwatch.example.org", "RATELIMIT_STORAGE_URI": "redis://localhost:6379/0",
             "CIVICWATCH_STAFF_IDLE_MINUTES": str(HUGE)})
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    assert "CIVICWATCH_STAFF_IDLE_MINUTES must be" in result.stderr.strip().splitlines()[-1], result.stderr
