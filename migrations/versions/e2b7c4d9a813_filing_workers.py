"""filing workers: the long-running deliver workers and when each was last seen, so that web reports are queued
only while one runs

Revision ID: e2b7c4d9a813
Revises: d7a3c1e9f254
Create Date: 2026-12-07 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'e2b7c4d9a813'
down_revision = 'd7a3c1e9f254'
branch_labels = None
depends_on = None

DATA_TABLES = ()


def upgrade():
    op.create_table(
        'filing_workers',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('seen_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_filing_workers')),
    )
    op.create_index(op.f('ix_filing_workers_seen_at'), 'filing_workers', ['seen_at'])


def downgrade():
    op.drop_index(op.f('ix_filing_workers_seen_at'), table_name='filing_workers')
    op.drop_table('filing_workers')
