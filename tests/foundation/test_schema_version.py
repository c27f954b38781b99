"""Code and database out of step: new code started before `flask db upgrade` ran (the database behind), or old
code still running after a newer release upgraded it (the database ahead). The delivery worker refuses to start,
saying what to do; pages answer 503 "try again shortly", not 500 traces of missing columns. A database made by
db.create_all() (no version table: the tests' own) is taken as it is."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from civicwatch.extensions import db

# Before bodies.deadlines_version: every page that reads the bodies fails on the missing column.
BEHIND = "e7c3a1f9b2d8"
UNKNOWN = "0f0f0f0f0f0f"  # a revision of a newer release, unknown to this code


def _database_at(state: str) -> None:
    if state == "behind":
        upgrade(revision=BEHIND)
    else:
        upgrade()
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :unknown"), {"unknown": UNKNOWN})


@pytest.mark.parametrize("state", ["behind", "ahead"])
def test_the_worker_refuses_to_start_on_a_database_out_of_step(empty_app, state):
    _database_at(state)
    result = empty_app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code != 0
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "flask db upgrade" in result.output and (BEHIND if state == "behind" else UNKNOWN) in result.output


@pytest.mark.parametrize("state", ["behind", "ahead"])
def test_pages_answer_503_not_500_on_a_database_out_of_step(empty_app, state):
    _database_at(state)
    empty_app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: what a user would see
    client = empty_app.test_client()
    for path in ("/transparency", "/published", "/login"):
        response = client.get(path)
        assert response.status_code == 503, (path, response.status_code)
        assert "Retry-After" in response.headers
        assert "Traceback" not in response.get_data(as_text=True)


def test_pages_and_worker_run_once_the_database_is_upgraded(empty_app):
    upgrade(revision=BEHIND)
    client = empty_app.test_client()
    empty_app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/login").status_code == 503
    upgrade()
    assert client.get("/login").status_code == 200
    result = empty_app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once"])
    assert result.exit_code == 0, result.output
