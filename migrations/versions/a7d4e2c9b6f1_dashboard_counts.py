"""dashboard figures kept, not counted: case_counts (cases per body and status, back-filled from the cases),
dashboard_medians (the quarter's medians, computed by the worker), and partial indexes holding only the open
cases whose deadlines, urgency or assignee the dashboard counts

Revision ID: a7d4e2c9b6f1
Revises: f3c8a1d5e7b2
Create Date: 2026-12-03 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import civicwatch.database

# revision identifiers, used by Alembic.
revision = 'a7d4e2c9b6f1'
down_revision = "f3c8a1d5e7b2"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
# Both are derived from the cases and rebuilt by upgrade(): nothing is lost.
DATA_TABLES = ()

OPEN = "status IN ('received', 'triaged', 'acknowledged', 'investigating', 'reopened')"
IN_PROGRESS = "status IN ('received', 'triaged', 'acknowledged', 'investigating', 'reopened', 'responded')"
ACK_DUE = f"{OPEN} AND waiting_since IS NULL AND acknowledged_at IS NULL"
RESPOND_DUE = f"{OPEN} AND waiting_since IS NULL"
URGENT_OPEN = f"{OPEN} AND urgent"


def upgrade():
    op.create_table(
        'case_counts',
        sa.Column('body_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('body_id', 'status', name=op.f('pk_case_counts')),
    )
    op.execute("INSERT INTO case_counts (body_id, status, cases) "
               "SELECT COALESCE(body_id, 0), status, COUNT(*) FROM cases GROUP BY COALESCE(body_id, 0), status")
    op.create_table(
        'dashboard_medians',
        sa.Column('body_id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.String(length=8), nullable=False),
        sa.Column('computed_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('acknowledged', sa.Integer(), nullable=False),
        sa.Column('days_to_acknowledge', sa.Float(), nullable=True),
        sa.Column('closed', sa.Integer(), nullable=False),
        sa.Column('days_to_close', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('body_id', name=op.f('pk_dashboard_medians')),
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_open_acknowledge_due_at', ['acknowledge_due_at'], unique=False,
                              postgresql_where=sa.text(ACK_DUE), sqlite_where=sa.text(ACK_DUE),
                              postgresql_include=['body_id'])
        batch_op.create_index('ix_cases_open_respond_due_at', ['respond_due_at'], unique=False,
                              postgresql_where=sa.text(RESPOND_DUE), sqlite_where=sa.text(RESPOND_DUE),
                              postgresql_include=['body_id', 'acknowledged_at', 'acknowledge_due_at', 'responded_at'])
        batch_op.create_index('ix_cases_urgent_open', ['body_id'], unique=False,
                              postgresql_where=sa.text(URGENT_OPEN), sqlite_where=sa.text(URGENT_OPEN))
        batch_op.create_index('ix_cases_in_progress_assigned_to_id', ['assigned_to_id', 'body_id'], unique=False,
                              postgresql_where=sa.text(IN_PROGRESS), sqlite_where=sa.text(IN_PROGRESS))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_in_progress_assigned_to_id')
        batch_op.drop_index('ix_cases_urgent_open')
        batch_op.drop_index('ix_cases_open_respond_due_at')
        batch_op.drop_index('ix_cases_open_acknowledge_due_at')
    op.drop_table('dashboard_medians')
    op.drop_table('case_counts')
