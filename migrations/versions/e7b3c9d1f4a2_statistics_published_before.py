"""the counts and states of the statistics as the publication before the current one showed them, so that a count
hidden then and unchanged stays hidden, and two publications together give no small count away

Revision ID: e7b3c9d1f4a2
Revises: d4a7c2e9f160
Create Date: 2026-12-07 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7b3c9d1f4a2'
down_revision = 'd4a7c2e9f160'
branch_labels = None
depends_on = None

DATA_TABLES = ()


def upgrade():
    # Empty until the next refresh keeps the publication it replaces.
    op.add_column('statistics_refreshes', sa.Column('published_before', sa.LargeBinary(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE statistics_refreshes DROP COLUMN published_before')
    else:
        op.drop_column('statistics_refreshes', 'published_before')
