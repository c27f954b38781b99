"""users: when the account last changed role or body, so that no grant asked for before follows it

Revision ID: e7c3a1f9b2d8
Revises: d4b7e2a9c6f1
Create Date: 2026-12-05 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'e7c3a1f9b2d8'
down_revision = 'd4b7e2a9c6f1'
branch_labels = None
depends_on = None
# No DATA_TABLES: dropping the column only lets a grant asked for before a move be used after it again.


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post_changed_at', civicwatch.database.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('post_changed_at')
