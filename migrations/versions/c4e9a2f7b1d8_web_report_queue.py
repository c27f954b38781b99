"""web reports queued for a worker to file (CIVICWATCH_WEB_REPORTS_QUEUED)

Revision ID: c4e9a2f7b1d8
Revises: b5d2e8a4c7f3
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'c4e9a2f7b1d8'
down_revision = 'b5d2e8a4c7f3'
branch_labels = None
depends_on = None

# A queued report is acknowledged to its sender: a downgrade that drops one loses it.
DATA_TABLES = ('web_report_queue',)


def upgrade():
    op.create_table(
        'web_report_queue',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('receipt_hash', sa.String(length=64), nullable=False),
        sa.Column('payload_encrypted', sa.LargeBinary(), nullable=False),
        sa.Column('contact_encrypted', sa.LargeBinary(), nullable=True),
        sa.Column('receipt_encrypted', sa.LargeBinary(), nullable=False),
        sa.Column('received_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('urgent', sa.Boolean(), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_report_queue')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_web_report_queue_key_hash')),
        sa.UniqueConstraint('receipt_hash', name=op.f('uq_web_report_queue_receipt_hash')),
    )


def downgrade():
    op.drop_table('web_report_queue')
