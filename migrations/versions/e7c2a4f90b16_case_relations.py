"""case relations: related and duplicate cases proposed on arrival, linked or dismissed by staff, with requests
to share another body's case

Revision ID: e7c2a4f90b16
Revises: d1f3b9a6c2e8
Create Date: 2026-12-03 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'e7c2a4f90b16'
down_revision = 'd1f3b9a6c2e8'
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('case_relations',)


def upgrade():
    op.create_table('case_relations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('related_case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('duplicate', 'related', name='relation_kind', native_enum=False,
                              create_constraint=True, length=32), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'linked', 'dismissed', name='relation_status', native_enum=False,
                                create_constraint=True, length=32), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('share_requested_by_id', sa.Integer(), nullable=True),
    sa.Column('share_requested_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('case_id <> related_case_id', name=op.f('ck_case_relations_not_itself')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_relations_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_case_relations_decided_by_id_users')),
    sa.ForeignKeyConstraint(['related_case_id'], ['cases.id'],
                            name=op.f('fk_case_relations_related_case_id_cases')),
    sa.ForeignKeyConstraint(['share_requested_by_id'], ['users.id'],
                            name=op.f('fk_case_relations_share_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_relations')),
    sa.UniqueConstraint('case_id', 'related_case_id', name=op.f('uq_case_relations_case_id'))
    )
    with op.batch_alter_table('case_relations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_relations_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_relations_related_case_id'), ['related_case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_relations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_relations_related_case_id'))
        batch_op.drop_index(batch_op.f('ix_case_relations_case_id'))
    op.drop_table('case_relations')
