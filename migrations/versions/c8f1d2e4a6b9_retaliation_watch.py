"""retaliation watch: the complainant's fear of retaliation, and the check-ins after closure with the linked
case a reported retaliation opened

Revision ID: c8f1d2e4a6b9
Revises: b7e3c9a1f2d4
Create Date: 2026-12-03 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'c8f1d2e4a6b9'
down_revision = "b7e3c9a1f2d4"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('retaliation_check_ins',)


def upgrade():
    # A plain ADD COLUMN: a batch copy of `cases` on SQLite would drop its full-text search triggers.
    op.add_column('cases', sa.Column('fears_retaliation', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('retaliation_check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('round_days', sa.Integer(), nullable=False),
    sa.Column('by_sms', sa.Boolean(), nullable=False),
    sa.Column('answered_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retaliation_reported', sa.Boolean(), nullable=True),
    sa.Column('reported_case_id', sa.Integer(), nullable=True),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_retaliation_check_ins_case_id_cases')),
    sa.ForeignKeyConstraint(['reported_case_id'], ['cases.id'],
                            name=op.f('fk_retaliation_check_ins_reported_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retaliation_check_ins')),
    sa.UniqueConstraint('case_id', 'round_days', name=op.f('uq_retaliation_check_ins_case_id'))
    )
    with op.batch_alter_table('retaliation_check_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retaliation_check_ins_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('retaliation_check_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retaliation_check_ins_case_id'))
    op.drop_table('retaliation_check_ins')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('fears_retaliation')
