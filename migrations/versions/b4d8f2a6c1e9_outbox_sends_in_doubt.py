"""outbox sends in doubt: when a send of a message may have reached Twilio without its SID being recorded

Revision ID: b4d8f2a6c1e9
Revises: a7e3c9d1f5b8
Create Date: 2026-12-06 03:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'b4d8f2a6c1e9'
down_revision = "a7e3c9d1f5b8"
branch_labels = None
depends_on = None
# No DATA_TABLES: a downgrade forgets only which sends are in doubt, and those are sent again when due, as before.


def upgrade():
    with op.batch_alter_table('outbound_messages') as batch_op:
        batch_op.add_column(sa.Column('in_doubt_since', civicwatch.database.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('outbound_messages') as batch_op:
        batch_op.drop_column('in_doubt_since')
