"""numbers not safe to text: no text we start goes to them (the web report's question, the follow-up page)

Revision ID: 0ebcb37e23ba
Revises: 5d0e9b3c7a61
Create Date: 2026-12-06 13:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = '0ebcb37e23ba'
down_revision = '5d0e9b3c7a61'
branch_labels = None
depends_on = None

DATA_TABLES = ('not_safe_to_text',)


def upgrade():
    op.create_table('not_safe_to_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_not_safe_to_text')),
    sa.UniqueConstraint('phone_hash', name=op.f('uq_not_safe_to_text_phone_hash'))
    )


def downgrade():
    op.drop_table('not_safe_to_text')
