"""A real gunicorn server killed with SIGKILL mid-load, twice, and started again: nothing acknowledged is
lost and nothing is stored twice. Runs on the suite's database (SQLite, or PostgreSQL with
TEST_DATABASE_URL) in well under a minute. benchmarks/crash.py runs the same for longer, with the
delivery worker killed too."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, on_postgres
from tests.postgres import throwaway_schema
from tests.reliability.crashes import Outcome, Plan, run


def run_on_the_suites_database(tmp_path: Path, plan: Plan) -> Outcome:
    if on_postgres():
        with throwaway_schema(POSTGRES_URL, prefix="crash") as schema:
            return run(POSTGRES_URL, schema, tmp_path, plan)
    return run(f"sqlite:///{tmp_path / 'crash.sqlite3'}", None, tmp_path, plan)


@pytest.mark.crash
def test_killing_the_server_mid_load_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    outcome = run_on_the_suites_database(tmp_path, Plan(seconds=8.0, kills=2, web_clients=3, sms_clients=2,
                                                        workers=2 if on_postgres() else 1, threads=4))
    details = outcome.details
    # Real load on a shared machine: a few web reports (each a form page, a POST and a receipt page) and
    # many texts got through around the kills.
    assert details["web_acknowledged"] >= 3 and details["texts_acknowledged"] >= 10, details
    assert outcome.lost == 0, details
    assert outcome.duplicated == 0, details
    assert details["web_stored"] >= details["web_acknowledged"]  # stored without a receipt seen is allowed


@pytest.mark.crash
def test_killing_the_server_and_the_worker_loses_no_queued_report_and_files_none_twice(tmp_path: Path) -> None:
    """Web reports queued for the worker (WEB_REPORTS_QUEUED): the server and the worker that files them both killed
    mid-load; once the worker has drained the queue every acknowledged report is a case holding the code its sender
    saw, and no report is filed twice."""
    outcome = run_on_the_suites_database(tmp_path, Plan(
        seconds=8.0, kills=1, web_clients=3, sms_clients=1, worker=True, worker_kills=2, queued=True,
        workers=2 if on_postgres() else 1, threads=4))
    details = outcome.details
    assert details["web_acknowledged"] >= 3, details
    assert details["queue_left"] == 0, details
    assert outcome.lost == 0, details
    assert outcome.duplicated == 0, details
