"""phone languages: the language a number chose by texting LANG, keyed by the number's keyed hash

Revision ID: d41f8a3c6e27
Revises: a2d6e8f4b1c9
Create Date: 2026-12-03 11:15:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'd41f8a3c6e27'
down_revision = "a2d6e8f4b1c9"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('phone_languages',)


def upgrade():
    op.create_table('phone_languages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('updated_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_languages')),
    sa.UniqueConstraint('phone_hash', name=op.f('uq_phone_languages_phone_hash'))
    )


def downgrade():
    op.drop_table('phone_languages')
