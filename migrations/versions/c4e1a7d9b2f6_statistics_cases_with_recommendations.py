"""statistics rollup: how many cases the counts of recommendations rest on (a case can hold many); the rollup is
rebuilt in full at its next refresh

Revision ID: c4e1a7d9b2f6
Revises: 6184a1df5587
Create Date: 2026-12-05 18:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e1a7d9b2f6'
down_revision = "6184a1df5587"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
# The rollup is derived from the cases (`flask civicwatch statistics refresh --full` rebuilds it).
DATA_TABLES = ()


def upgrade():
    with op.batch_alter_table('statistics_cells', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cases_with_recommendations', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('statistics_cells', schema=None) as batch_op:
        batch_op.alter_column('cases_with_recommendations', server_default=None)
    # The rows written before hold no count of these cases: the next refresh rebuilds every month.
    op.execute("DELETE FROM statistics_refreshes")


def downgrade():
    with op.batch_alter_table('statistics_cells', schema=None) as batch_op:
        batch_op.drop_column('cases_with_recommendations')
