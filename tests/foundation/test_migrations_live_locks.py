"""`flask db upgrade` on a live PostgreSQL database: a migration that alters a table needs it to itself, and waits
behind any transaction that read it (a long export, a worker's round). While it waits every new query on that table
queues behind it: the site stops. The upgrade gives up after MIGRATION_LOCK_TIMEOUT_SECONDS instead, leaving the
database as it was, to be run again at a quieter moment; the site goes on meanwhile."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from civicwatch.extensions import db
from tests.conftest import on_postgres

ROOT = Path(__file__).resolve().parents[2]
BEFORE_ALTER = "b4e1c7a9d2f6"  # the next migration adds a column to case_relations
UPGRADE = """
import json, sys
from pathlib import Path
from flask_migrate import upgrade
from civicwatch import create_app
from tests.conftest import make_config
url, options, workdir = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
app = create_app(make_config((url, options), Path(workdir), MIGRATION_LOCK_TIMEOUT_SECONDS=1))
with app.app_context():
    upgrade()
"""


def _wait_until_the_upgrade_waits(site, started: float) -> None:
    """Until the upgrade asks for the table (or gives up, or a minute passed: the process starts slowly)."""
    while time.monotonic() - started < 60:
        with site.connect() as watching:
            if watching.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                     "AND query LIKE 'ALTER TABLE case_relations%'")).scalar():
                return
        time.sleep(0.2)


@pytest.mark.skipif(not on_postgres(), reason="SQLite: a writer waits its busy timeout, readers go on (WAL)")
def test_an_upgrade_waiting_for_a_busy_table_gives_up_instead_of_stopping_the_site(empty_app, database_url, tmp_path):
    upgrade(revision=BEFORE_ALTER)
    db.engine.dispose()
    url, options = database_url
    site = create_engine(url, **options)
    try:
        with site.connect() as reading:  # a transaction of the running site that has read the table
            reading.execute(text("SELECT count(*) FROM case_relations")).scalar()
            started = time.monotonic()
            process = subprocess.Popen([sys.executable, "-c", UPGRADE, url, json.dumps(options), str(tmp_path)],
                                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            _wait_until_the_upgrade_waits(site, started)
            try:
                with site.connect() as visitor:  # a page asked for meanwhile
                    visitor.execute(text("SET statement_timeout = '2s'"))
                    visitor.execute(text("SELECT count(*) FROM case_relations")).scalar()
                served = True
            except OperationalError:
                served = False
            try:
                output = process.communicate(timeout=10)[0]
            except subprocess.TimeoutExpired:
                output = None
            reading.rollback()
            if output is None:  # still waiting: let it finish now that the table is free
                output = process.communicate(timeout=120)[0]
        assert served, "a query of the site waited behind the upgrade"
        assert process.returncode != 0 and "lock timeout" in output, output[-500:]
        assert time.monotonic() - started < 60
        with site.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == BEFORE_ALTER
    finally:
        site.dispose()
    upgrade()  # at a quieter moment it goes through
