"""submission idempotency keys: a retried report form or Open311 request finds its case instead of making another

Revision ID: b3f1c7a2d9e4
Revises: 7d2e4a91c3b0
Create Date: 2026-12-03 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'b3f1c7a2d9e4'
down_revision = '7d2e4a91c3b0'
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
# The keys only guard against retries, and their receipts are erased within an hour: nothing of value is lost.
DATA_TABLES = ()


def upgrade():
    op.create_table('submission_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('receipt_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('receipt_until', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_submission_keys_case_id_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_submission_keys_key_hash'))
    )
    with op.batch_alter_table('submission_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_keys_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_keys_receipt_until'), ['receipt_until'], unique=False)


def downgrade():
    with op.batch_alter_table('submission_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_keys_receipt_until'))
        batch_op.drop_index(batch_op.f('ix_submission_keys_case_id'))

    op.drop_table('submission_keys')
