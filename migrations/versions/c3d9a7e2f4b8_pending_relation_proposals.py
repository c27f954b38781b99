"""pending relation proposals: new cases whose related cases a deliver worker is still to propose

Revision ID: c3d9a7e2f4b8
Revises: b8e3f1a6c5d2
Create Date: 2026-12-03 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'c3d9a7e2f4b8'
down_revision = 'b8e3f1a6c5d2'
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('pending_relation_proposals',)


def upgrade():
    op.create_table('pending_relation_proposals',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_pending_relation_proposals_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_pending_relation_proposals'))
    )
    with op.batch_alter_table('pending_relation_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_relation_proposals_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_relation_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_relation_proposals_created_at'))
    op.drop_table('pending_relation_proposals')
