"""a complainant's message on a case still being worked on waits unread (`read_at`) for the body's staff too; the
messages stored before are marked read, and the unread ones, few, are read through a partial index

Revision ID: 5c1e9a7d3b24
Revises: 6511f4f4bbae
Create Date: 2026-12-06 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e9a7d3b24'
down_revision = '6511f4f4bbae'
branch_labels = None
depends_on = None

# Marks, not words: the code before this revision neither reads nor misses them.
DATA_TABLES = ()
UNREAD = "kind = 'from_complainant' AND NOT after_closure AND read_at IS NULL"


def upgrade():
    # Words that came before the marks were shown in the timeline alone: they would flood the new queue on the day
    # this runs. Read at the moment they came.
    op.execute(f"UPDATE case_messages SET read_at = created_at WHERE {UNREAD}")
    op.create_index('ix_case_messages_unread_while_open', 'case_messages', ['case_id'], unique=False,
                    postgresql_where=sa.text(UNREAD), sqlite_where=sa.text(UNREAD))


def downgrade():
    op.drop_index('ix_case_messages_unread_while_open', table_name='case_messages',
                  postgresql_where=sa.text(UNREAD), sqlite_where=sa.text(UNREAD))
