"""web report queue: a filed report's row stays a while as a tombstone (filed_at), waiting reports indexed apart

Revision ID: d7a3c1e9f254
Revises: c4e9a2f7b1d8
Create Date: 2026-12-07 13:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'd7a3c1e9f254'
down_revision = 'c4e9a2f7b1d8'
branch_labels = None
depends_on = None

DATA_TABLES = ()


def upgrade():
    op.add_column('web_report_queue', sa.Column('filed_at', civicwatch.database.UTCDateTime(timezone=True),
                                                nullable=True))
    op.create_index('ix_web_report_queue_waiting', 'web_report_queue', ['urgent', 'id'],
                    postgresql_where=sa.text('filed_at IS NULL'), sqlite_where=sa.text('filed_at IS NULL'))
    op.create_index('ix_web_report_queue_filed_at', 'web_report_queue', ['filed_at'])


def downgrade():
    # Tombstones hold no report (their words were erased when filed): the older code deletes filed rows.
    op.execute("DELETE FROM web_report_queue WHERE filed_at IS NOT NULL")
    op.drop_index('ix_web_report_queue_filed_at', table_name='web_report_queue')
    op.drop_index('ix_web_report_queue_waiting', table_name='web_report_queue')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE web_report_queue DROP COLUMN filed_at')
    else:
        op.drop_column('web_report_queue', 'filed_at')
