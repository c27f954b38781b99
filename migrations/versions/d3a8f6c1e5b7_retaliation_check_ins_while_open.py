"""retaliation check-ins while the case is open: a check-in is either a round after closure (`round_days`, 30 or
90) or the n-th asked while the case was open (`open_round`), each once per case

Revision ID: d3a8f6c1e5b7
Revises: b9d4f2a6c8e1
Create Date: 2026-12-06 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3a8f6c1e5b7'
down_revision = 'b9d4f2a6c8e1'
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('retaliation_check_ins',)


def upgrade():
    with op.batch_alter_table('retaliation_check_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_round', sa.Integer(), nullable=True))
        batch_op.alter_column('round_days', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint('uq_retaliation_check_ins_case_id_open_round', ['case_id', 'open_round'])
        batch_op.create_check_constraint(op.f('ck_retaliation_check_ins_one_round'),
                                         '(round_days IS NULL) <> (open_round IS NULL)')


def downgrade():
    with op.batch_alter_table('retaliation_check_ins', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_retaliation_check_ins_one_round'), type_='check')
        batch_op.drop_constraint('uq_retaliation_check_ins_case_id_open_round', type_='unique')
        batch_op.alter_column('round_days', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('open_round')
