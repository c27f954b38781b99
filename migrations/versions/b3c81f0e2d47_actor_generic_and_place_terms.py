"""actor generic and place terms: words that only hint at a service ("officer", ranks, "barracks")

Revision ID: b3c81f0e2d47
Revises: b3f1c7a2d9e4
Create Date: 2026-12-03 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'b3c81f0e2d47'
down_revision = "b3f1c7a2d9e4"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()


def upgrade():
    # Plain ALTER TABLE (no batch copy of the table): rules and cases point at actors.
    op.add_column('actors', sa.Column('generic_terms', sa.JSON(), server_default='[]', nullable=False))
    op.add_column('actors', sa.Column('place_terms', sa.JSON(), server_default='[]', nullable=False))


def downgrade():
    for column in ('place_terms', 'generic_terms'):
        if op.get_bind().dialect.name == 'sqlite':  # SQLite 3.35+ drops a column in place
            op.execute(f'ALTER TABLE actors DROP COLUMN {column}')
        else:
            op.drop_column('actors', column)
