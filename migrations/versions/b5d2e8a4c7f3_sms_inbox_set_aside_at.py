"""when each text in the SMS inbox was set aside, so that a set-aside text (a number and a complainant's words) is
erased SMS_SET_ASIDE_KEEP_DAYS later instead of never

Revision ID: b5d2e8a4c7f3
Revises: e7b3c9d1f4a2
Create Date: 2026-12-07 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'b5d2e8a4c7f3'
down_revision = 'e7b3c9d1f4a2'
branch_labels = None
depends_on = None

DATA_TABLES = ()

# civicwatch.sms.inbox.MAX_ATTEMPTS when this was written.
MAX_ATTEMPTS = 3


def upgrade():
    op.add_column('sms_inbox', sa.Column('set_aside_at', civicwatch.database.UTCDateTime(timezone=True),
                                         nullable=True))
    # Texts set aside before this release never said when: their time starts now, so that an admin who reads the
    # outbox page after the upgrade still has the whole period to give them back before they are erased.
    inbox = sa.table('sms_inbox', sa.column('attempts', sa.Integer),
                     sa.column('set_aside_at', civicwatch.database.UTCDateTime(timezone=True)))
    op.execute(inbox.update().where(inbox.c.attempts >= MAX_ATTEMPTS)
               .values(set_aside_at=civicwatch.database.utcnow()))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE sms_inbox DROP COLUMN set_aside_at')
    else:
        op.drop_column('sms_inbox', 'set_aside_at')
