"""the early warning as published at the last refresh of the statistics, so that an allegation staff edit between
two publications moves no published figure until the next one

Revision ID: 5d0e9b3c7a61
Revises: 1f1a72122daf
Create Date: 2026-12-06 13:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d0e9b3c7a61'
down_revision = '1f1a72122daf'
branch_labels = None
depends_on = None

DATA_TABLES = ()


def upgrade():
    # Empty until the next refresh, which publishes it: until then the page computes it as before.
    op.add_column('statistics_refreshes', sa.Column('early_warning', sa.JSON(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE statistics_refreshes DROP COLUMN early_warning')
    else:
        op.drop_column('statistics_refreshes', 'early_warning')
