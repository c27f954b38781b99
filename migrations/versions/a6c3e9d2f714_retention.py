"""retention: schedules per status and body, legal holds, the record of each erasure, and files queued for
removal after an erasure's commit

Revision ID: a6c3e9d2f714
Revises: f8c2d5a7b931
Create Date: 2026-12-03 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'a6c3e9d2f714'
down_revision = "f8c2d5a7b931"
branch_labels = None
depends_on = None
# Tables whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('retention_schedules', 'legal_holds', 'case_erasures', 'pending_file_removals')

STATUSES = ('received', 'triaged', 'acknowledged', 'investigating', 'responded', 'closed', 'rejected', 'referred',
            'withdrawn', 'reopened')


def upgrade():
    op.create_table('retention_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum(*STATUSES, name='retention_case_status', native_enum=False, create_constraint=True,
                                length=32), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('months BETWEEN 1 AND 1200', name=op.f('ck_retention_schedules_months_range')),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_retention_schedules_body_id_bodies')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_retention_schedules_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_schedules')),
    sa.UniqueConstraint('body_id', 'status', name=op.f('uq_retention_schedules_body_id'))
    )
    with op.batch_alter_table('retention_schedules', schema=None) as batch_op:
        batch_op.create_index('ix_retention_schedules_default_status', ['status'], unique=True,
                              postgresql_where=sa.text('body_id IS NULL'), sqlite_where=sa.text('body_id IS NULL'))

    op.create_table('legal_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('placed_by_id', sa.Integer(), nullable=False),
    sa.Column('lifted_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(lifted_at IS NULL) = (lifted_by_id IS NULL)', name=op.f('ck_legal_holds_lifted_by_whom')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_legal_holds_case_id_cases')),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_legal_holds_lifted_by_id_users')),
    sa.ForeignKeyConstraint(['placed_by_id'], ['users.id'], name=op.f('fk_legal_holds_placed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_holds'))
    )
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_holds_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_legal_holds_one_active_per_case', ['case_id'], unique=True,
                              postgresql_where=sa.text('lifted_at IS NULL'), sqlite_where=sa.text('lifted_at IS NULL'))

    op.create_table('case_erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('erased_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_erasures_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_erasures_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_erasures')),
    sa.UniqueConstraint('case_id', name=op.f('uq_case_erasures_case_id'))
    )
    op.create_table('pending_file_removals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_file_removals')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_pending_file_removals_stored_name'))
    )


def downgrade():
    op.drop_table('pending_file_removals')
    op.drop_table('case_erasures')
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_legal_holds_one_active_per_case')
        batch_op.drop_index(batch_op.f('ix_legal_holds_case_id'))
    op.drop_table('legal_holds')
    with op.batch_alter_table('retention_schedules', schema=None) as batch_op:
        batch_op.drop_index('ix_retention_schedules_default_status')
    op.drop_table('retention_schedules')
