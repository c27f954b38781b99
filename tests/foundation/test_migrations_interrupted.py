"""An upgrade cut off half-way (the process killed, the disk full, a statement failing on the data) leaves the
database as it was before the upgrade: `flask db upgrade` run again reaches the head with the data kept. SQLite's
Python driver runs CREATE and ALTER outside any transaction unless told otherwise, so without care a step's
first statements stay while the version does not move, and every later attempt fails on what they left."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, inspect, text

from civicwatch.extensions import db


class PowerCut(Exception):
    """Stands for anything that stops the upgrade between two of its statements."""


# (revision to start from, the statement of the next migration before which the upgrade stops)
CUTS = {
    "batch-copy-of-case_relations": ("b4e1c7a9d2f6", "UPDATE case_relations SET related_status"),
    "columns-added-then-filled": ("c5e1a9d3f7b2", "UPDATE settings SET value"),
}


def _cut_before(prefix: str):
    def cut(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith(prefix):
            raise PowerCut(prefix)
    return cut


@pytest.mark.parametrize("cut", CUTS, ids=list(CUTS))
def test_an_upgrade_cut_off_half_way_leaves_the_database_as_it_was_and_runs_again(empty_app, cut):
    start, statement = CUTS[cut]
    upgrade(revision=start)
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO settings (key, value) VALUES ('taxonomy_version', '\"old\"')"))
        tables_before = set(inspect(connection).get_table_names())
    stop = _cut_before(statement)
    event.listen(db.engine, "before_cursor_execute", stop)
    try:
        with pytest.raises(PowerCut):
            upgrade()
    finally:
        event.remove(db.engine, "before_cursor_execute", stop)
    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == start
        assert set(inspect(connection).get_table_names()) == tables_before  # no half-made copy left behind
    upgrade()
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM settings")).scalar() == 1
        assert "related_status" in {column["name"] for column in inspect(connection).get_columns("case_relations")}
