"""reference_keys: the key of the permutation that makes case references from row ids, drawn when the first case
after this needs it. The references cases have keep working as they are.

Revision ID: d4a7c2e9f160
Revises: 5c1e9a7d3b24
Create Date: 2026-12-06 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'd4a7c2e9f160'
down_revision = '5c1e9a7d3b24'
branch_labels = None
depends_on = None
# Once drawn, the key is what keeps a new reference from being one a case already has: never dropped with a row.
DATA_TABLES = ('reference_keys',)


def upgrade():
    op.create_table('reference_keys',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('key', sa.LargeBinary(length=64), nullable=False),
    sa.Column('shortest_digits', sa.Integer(), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_reference_keys_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_keys'))
    )


def downgrade():
    op.drop_table('reference_keys')
