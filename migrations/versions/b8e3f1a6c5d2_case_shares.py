"""case shares: a body asks another to share a related case; the holding body approves for a limited time or
refuses; requests made on case_relations so far move here as pending requests

Revision ID: b8e3f1a6c5d2
Revises: a6c3e9d2f714
Create Date: 2026-12-03 13:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'b8e3f1a6c5d2'
down_revision = "a6c3e9d2f714"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('case_shares',)

# The asking user's body holds one side of the relation; the other side is the case asked for.
MOVE_REQUESTS = """
INSERT INTO case_shares (case_id, owner_body_id, body_id, from_case_id, requested_by_id, status, created_at)
SELECT CASE WHEN a.body_id = u.body_id THEN r.related_case_id ELSE r.case_id END,
       CASE WHEN a.body_id = u.body_id THEN b.body_id ELSE a.body_id END,
       u.body_id,
       CASE WHEN a.body_id = u.body_id THEN r.case_id ELSE r.related_case_id END,
       u.id, 'pending', r.share_requested_at
FROM case_relations r
JOIN users u ON u.id = r.share_requested_by_id
JOIN cases a ON a.id = r.case_id
JOIN cases b ON b.id = r.related_case_id
WHERE r.share_requested_at IS NOT NULL AND u.body_id IS NOT NULL AND a.body_id IS NOT NULL
  AND b.body_id IS NOT NULL AND a.body_id <> b.body_id AND (a.body_id = u.body_id OR b.body_id = u.body_id)
"""


def upgrade():
    op.create_table('case_shares',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('owner_body_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('from_case_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'refused', 'revoked', name='share_status',
                                native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('expires_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('decided_by_id IS NULL OR decided_by_id <> requested_by_id',
                       name=op.f('ck_case_shares_four_eyes')),
    sa.CheckConstraint("status <> 'approved' OR expires_at IS NOT NULL",
                       name=op.f('ck_case_shares_approved_has_expiry')),
    sa.CheckConstraint('body_id <> owner_body_id', name=op.f('ck_case_shares_other_body')),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_case_shares_body_id_bodies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_shares_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_case_shares_decided_by_id_users')),
    sa.ForeignKeyConstraint(['from_case_id'], ['cases.id'], name=op.f('fk_case_shares_from_case_id_cases')),
    sa.ForeignKeyConstraint(['owner_body_id'], ['bodies.id'], name=op.f('fk_case_shares_owner_body_id_bodies')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_case_shares_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_shares'))
    )
    with op.batch_alter_table('case_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_shares_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_shares_owner_body_id'), ['owner_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_shares_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_shares_status'), ['status'], unique=False)
    op.execute(MOVE_REQUESTS)
    with op.batch_alter_table('case_relations', schema=None) as batch_op:
        batch_op.drop_constraint('fk_case_relations_share_requested_by_id_users', type_='foreignkey')
        batch_op.drop_column('share_requested_at')
        batch_op.drop_column('share_requested_by_id')


def downgrade():
    with op.batch_alter_table('case_relations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_requested_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('share_requested_at', civicwatch.database.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_foreign_key('fk_case_relations_share_requested_by_id_users', 'users',
                                    ['share_requested_by_id'], ['id'])
    with op.batch_alter_table('case_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_shares_status'))
        batch_op.drop_index(batch_op.f('ix_case_shares_body_id'))
        batch_op.drop_index(batch_op.f('ix_case_shares_owner_body_id'))
        batch_op.drop_index(batch_op.f('ix_case_shares_case_id'))
    op.drop_table('case_shares')
