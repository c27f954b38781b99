"""api_keys.expires_at: an Open311 key ends API_KEY_LIFETIME_DAYS after it was issued; keys issued before keep
no end (NULL), and are listed as such for administrators to replace

Revision ID: a7e3c9d1f5b8
Revises: f1a9c3e7b5d2
Create Date: 2026-12-06 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'a7e3c9d1f5b8'
down_revision = 'f1a9c3e7b5d2'
branch_labels = None
depends_on = None
# No DATA_TABLES: a downgrade forgets only when keys end.


def upgrade():
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
