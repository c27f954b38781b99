"""An administrator's DATABASE_URL as hosting providers and PostgreSQL's own documentation write it
(postgres://... or postgresql://..., without a driver) starts the app on the installed driver, instead of a
traceback about a missing plugin ("sqlalchemy.dialects:postgres") or module (psycopg2); a database the app cannot
use (MySQL) is refused in one line naming the variable and what to put."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from civicwatch import create_app
from tests.foundation.test_app_config import development

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("written", ["postgres://civicwatch:pw@db.example.org:5433/civicwatch",
                                     "postgresql://civicwatch:pw@db.example.org:5433/civicwatch"])
def test_a_postgresql_address_without_a_driver_uses_the_installed_one(tmp_path, written):
    app = create_app(development(tmp_path, SQLALCHEMY_DATABASE_URI=written))

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "civicwatch", "pw", "db.example.org", 5433, "civicwatch")


@pytest.mark.parametrize("written", ["mysql://civicwatch:pw@localhost/civicwatch",
                                     "postgresql+psycopg2://civicwatch:pw@localhost/civicwatch"])
def test_a_database_the_app_cannot_use_is_refused_in_words(tmp_path, written):
    with pytest.raises(RuntimeError, match="DATABASE_URL") as refused:
        create_app(development(tmp_path, SQLALCHEMY_DATABASE_URI=written))

    assert "postgresql+psycopg://" in str(refused.value)
    assert "pw" not in str(refused.value)


def test_the_flask_command_says_it_without_a_traceback(tmp_path):
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "routes"], cwd=ROOT, capture_output=True,
                            text=True, timeout=240,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CIVICWATCH_INSTANCE": str(tmp_path),
                                 "DATABASE_URL": "mysql://civicwatch:pw@localhost/civicwatch"})
    output = result.stdout + result.stderr

    assert result.returncode != 0
    assert "Traceback" not in output and "CivicWatch cannot start: DATABASE_URL" in output, output
