"""routing_rules: a version, so that two administrators editing one rule at once do not silently overwrite each
other

Revision ID: b4e1c7a9d2f6
Revises: c4e1a7d9b2f6
Create Date: 2026-12-05 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4e1c7a9d2f6'
down_revision = 'c4e1a7d9b2f6'
branch_labels = None
depends_on = None
# No DATA_TABLES: dropping the column only forgets which version of a rule the edit pages were opened on.


def upgrade():
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_column('version')
