"""sealed originals: the SHA-256 of each upload as received, the encrypted original when the complainant keeps
it as evidence, and disclosure requests for a file's original

Revision ID: b7e3c9a1f2d4
Revises: b7e3c1d9a4f2
Create Date: 2026-12-03 13:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e3c9a1f2d4'
down_revision = "b7e3c1d9a4f2"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('attachments', 'disclosure_requests')


def upgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('original_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('original_stored_name', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_attachments_original_stored_name'), ['original_stored_name'])

    with op.batch_alter_table('disclosure_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_disclosure_requests_attachment_id'), ['attachment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_disclosure_requests_attachment_id_attachments'), 'attachments',
                                    ['attachment_id'], ['id'])


def downgrade():
    with op.batch_alter_table('disclosure_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_disclosure_requests_attachment_id_attachments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_disclosure_requests_attachment_id'))
        batch_op.drop_column('attachment_id')

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_attachments_original_stored_name'), type_='unique')
        batch_op.drop_column('original_stored_name')
        batch_op.drop_column('original_sha256')
