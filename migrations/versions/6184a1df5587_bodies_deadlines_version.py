"""bodies: the deadlines' version, so that two administrators editing a body's deadlines at once do not silently
overwrite each other

Revision ID: 6184a1df5587
Revises: e7c3a1f9b2d8
Create Date: 2026-12-05 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6184a1df5587'
down_revision = 'e7c3a1f9b2d8'
branch_labels = None
depends_on = None
# No DATA_TABLES: dropping the column only forgets which version of the deadlines the forms were opened on.


def upgrade():
    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadlines_version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.drop_column('deadlines_version')
