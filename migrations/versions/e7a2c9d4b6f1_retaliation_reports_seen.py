"""a report of retaliation while the case is open is marked seen by a staff member (`seen_at`, `seen_by_id`); the
unseen ones, few, are read through a partial index

Revision ID: e7a2c9d4b6f1
Revises: d3a8f6c1e5b7
Create Date: 2026-12-06 07:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'e7a2c9d4b6f1'
down_revision = 'd3a8f6c1e5b7'
branch_labels = None
depends_on = None

# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('retaliation_check_ins',)
UNSEEN = "retaliation_reported AND open_round IS NOT NULL AND seen_at IS NULL"


def upgrade():
    with op.batch_alter_table('retaliation_check_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('seen_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_retaliation_check_ins_seen_by_id_users'), 'users', ['seen_by_id'], ['id'])
    op.create_index('ix_retaliation_check_ins_unseen', 'retaliation_check_ins', ['case_id'], unique=False,
                    postgresql_where=sa.text(UNSEEN), sqlite_where=sa.text(UNSEEN))


def downgrade():
    op.drop_index('ix_retaliation_check_ins_unseen', table_name='retaliation_check_ins',
                  postgresql_where=sa.text(UNSEEN), sqlite_where=sa.text(UNSEEN))
    with op.batch_alter_table('retaliation_check_ins', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_retaliation_check_ins_seen_by_id_users'), type_='foreignkey')
        batch_op.drop_column('seen_by_id')
        batch_op.drop_column('seen_at')
