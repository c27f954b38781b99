"""early delivery statuses: a status Twilio reports before the worker has stored the message's SID is kept until
it is

Revision ID: a4e7c2f9d1b3
Revises: d7a3f1c9e5b4
Create Date: 2026-12-04 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'a4e7c2f9d1b3'
down_revision = 'd7a3f1c9e5b4'
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('early_delivery_statuses',)


def upgrade():
    op.create_table('early_delivery_statuses',
    sa.Column('provider_sid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('received_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('provider_sid', name=op.f('pk_early_delivery_statuses'))
    )
    with op.batch_alter_table('early_delivery_statuses') as batch_op:
        batch_op.create_index(batch_op.f('ix_early_delivery_statuses_received_at'), ['received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('early_delivery_statuses') as batch_op:
        batch_op.drop_index(batch_op.f('ix_early_delivery_statuses_received_at'))
    op.drop_table('early_delivery_statuses')
