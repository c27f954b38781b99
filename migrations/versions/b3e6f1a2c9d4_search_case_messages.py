"""search case messages: staff search finds a case by the words of its messages too

Revision ID: b3e6f1a2c9d4
Revises: b3c81f0e2d47
Create Date: 2026-12-03 07:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b3e6f1a2c9d4'
down_revision = "b3c81f0e2d47"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()

# Raw DDL the models do not describe (the same statements run from the models' DDL events, cases/search.py).
SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE case_messages_fts USING fts5(body, content='case_messages', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    'CREATE TRIGGER case_messages_fts_after_insert AFTER INSERT ON case_messages BEGIN INSERT INTO case_messages_fts(rowid, body) VALUES (new.id, new.body); END',
    "CREATE TRIGGER case_messages_fts_after_delete AFTER DELETE ON case_messages BEGIN INSERT INTO case_messages_fts(case_messages_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER case_messages_fts_after_update AFTER UPDATE OF body ON case_messages BEGIN INSERT INTO case_messages_fts(case_messages_fts, rowid, body) VALUES ('delete', old.id, old.body); INSERT INTO case_messages_fts(rowid, body) VALUES (new.id, new.body); END",
    # Index the messages written before this revision.
    "INSERT INTO case_messages_fts(case_messages_fts) VALUES ('rebuild')",
)
POSTGRES_SEARCH = (
    "CREATE INDEX ix_case_messages_fts_body ON case_messages USING gin (to_tsvector('english', coalesce(body, '')))",
)
SQLITE_SEARCH_DROP = (
    'DROP TRIGGER IF EXISTS case_messages_fts_after_insert',
    'DROP TRIGGER IF EXISTS case_messages_fts_after_delete',
    'DROP TRIGGER IF EXISTS case_messages_fts_after_update',
    'DROP TABLE IF EXISTS case_messages_fts',
)
POSTGRES_SEARCH_DROP = (
    'DROP INDEX IF EXISTS ix_case_messages_fts_body',
)


def run_for_dialect(sqlite_statements, postgres_statements):
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": sqlite_statements, "postgresql": postgres_statements}.get(dialect, ()):
        op.execute(statement)


def upgrade():
    run_for_dialect(SQLITE_SEARCH, POSTGRES_SEARCH)


def downgrade():
    run_for_dialect(SQLITE_SEARCH_DROP, POSTGRES_SEARCH_DROP)
