"""a complainant's message on a case that has ended is marked `after_closure` and waits for the body's staff to
mark it read (`read_at`); the unread ones, few, are read through a partial index

Revision ID: 82a3847eb3cc
Revises: 0ebcb37e23ba
Create Date: 2026-12-06 13:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = '82a3847eb3cc'
down_revision = '0ebcb37e23ba'
branch_labels = None
depends_on = None

# The columns hold marks, not words: the code before them neither reads nor misses them.
DATA_TABLES = ()
UNREAD = "after_closure AND read_at IS NULL"


def upgrade():
    # Plain ADD COLUMN (no batch copy): on SQLite, copying case_messages would drop its search triggers.
    op.add_column('case_messages', sa.Column('after_closure', sa.Boolean(), server_default=sa.false(),
                                             nullable=False))
    op.add_column('case_messages', sa.Column('read_at', civicwatch.database.UTCDateTime(timezone=True),
                                             nullable=True))
    op.create_index('ix_case_messages_unread_after_closure', 'case_messages', ['case_id'], unique=False,
                    postgresql_where=sa.text(UNREAD), sqlite_where=sa.text(UNREAD))


def downgrade():
    op.drop_index('ix_case_messages_unread_after_closure', table_name='case_messages',
                  postgresql_where=sa.text(UNREAD), sqlite_where=sa.text(UNREAD))
    # SQLite 3.35+ drops a column in place: a batch copy of the table would drop its search triggers.
    for column in ('read_at', 'after_closure'):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE case_messages DROP COLUMN {column}')
        else:
            op.drop_column('case_messages', column)
