"""case tracking generation: leaving the follow-up page revokes every session opened with the receipt code

Revision ID: 7d2e4a91c3b0
Revises: 55b176dba89c
Create Date: 2026-12-03 04:55:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = '7d2e4a91c3b0'
down_revision = '55b176dba89c'
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracking_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('tracking_generation')
