"""when an admin set a staff member's temporary password, so that it ends TEMPORARY_PASSWORD_HOURS later; a
temporary password still waiting at the upgrade counts from the upgrade

Revision ID: 1f1a72122daf
Revises: a29c7e5bc4dc
Create Date: 2026-12-06 10:50:00.000000

"""
import datetime as dt

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1f1a72122daf'
down_revision = 'a29c7e5bc4dc'
branch_labels = None
depends_on = None

DATA_TABLES = ()


def upgrade():
    op.add_column('users', sa.Column('temporary_password_set_at', sa.DateTime(timezone=True), nullable=True))
    users = sa.table('users', sa.column('password_must_change', sa.Boolean()),
                     sa.column('temporary_password_set_at', sa.DateTime(timezone=True)))
    # When the older ones were set is not known: they get the full time from now, then end.
    op.execute(users.update().where(users.c.password_must_change.is_(True))
               .values(temporary_password_set_at=dt.datetime.now(dt.UTC)))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE users DROP COLUMN temporary_password_set_at')
    else:
        op.drop_column('users', 'temporary_password_set_at')
