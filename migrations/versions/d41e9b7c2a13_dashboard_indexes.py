"""dashboard indexes: the cases in progress, and the quarter's acknowledgements and closures, read from the index

Revision ID: d41e9b7c2a13
Revises: c4a7e2d91b35
Create Date: 2026-12-03 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41e9b7c2a13'
down_revision = "c4a7e2d91b35"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()

IN_PROGRESS = ("status IN ('received', 'triaged', 'acknowledged', 'investigating', 'reopened', 'responded')")


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_in_progress', ['body_id', 'status'], unique=False,
                              postgresql_where=sa.text(IN_PROGRESS), sqlite_where=sa.text(IN_PROGRESS),
                              postgresql_include=['urgent', 'waiting_since', 'acknowledged_at', 'acknowledge_due_at',
                                                  'responded_at', 'respond_due_at', 'assigned_to_id'])
        batch_op.drop_index('ix_cases_acknowledged_at')
        batch_op.create_index('ix_cases_acknowledged_at', ['acknowledged_at'], unique=False,
                              postgresql_include=['created_at', 'body_id'])
        batch_op.drop_index('ix_cases_closed_at')
        batch_op.create_index('ix_cases_closed_at', ['closed_at'], unique=False,
                              postgresql_include=['created_at', 'body_id', 'status'])


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_closed_at')
        batch_op.create_index('ix_cases_closed_at', ['closed_at'], unique=False)
        batch_op.drop_index('ix_cases_acknowledged_at')
        batch_op.create_index('ix_cases_acknowledged_at', ['acknowledged_at'], unique=False)
        batch_op.drop_index('ix_cases_in_progress', postgresql_where=sa.text(IN_PROGRESS),
                            sqlite_where=sa.text(IN_PROGRESS))
