"""the working days of the current stop of a case's deadline clock already added to its deadlines before the stop
was taken up again from a later moment (a send-back while waiting), so that one question's wait limit is not
started again

Revision ID: a29c7e5bc4dc
Revises: e7a2c9d4b6f1
Create Date: 2026-12-06 09:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a29c7e5bc4dc'
down_revision = 'e7a2c9d4b6f1'
branch_labels = None
depends_on = None

DATA_TABLES = ()


def upgrade():
    op.add_column('cases', sa.Column('wait_days_counted', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    # SQLite 3.35+ drops a column in place: a batch copy of the table would rewrite the CHECK constraints' text,
    # which an older downgrade (f1a9c3e7b5d2) edits as it was written.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE cases DROP COLUMN wait_days_counted')
    else:
        op.drop_column('cases', 'wait_days_counted')
