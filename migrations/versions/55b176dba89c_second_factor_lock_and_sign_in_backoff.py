"""Second-factor lock and per-client sign-in backoff

Wrong passwords are counted in login_failures (per client and account, per account, per signed-in user)
instead of one lock per account that anyone could trigger; wrong authenticator codes get their own count and
lock in users.totp_failures / totp_locked_at. Account locks in force at the upgrade are dropped. Sessions
now carry a fingerprint of the session token instead of the token, so everyone signs in again once.

Revision ID: 55b176dba89c
Revises: 5c7f749020ab
Create Date: 2026-12-03 03:24:46.577094

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = '55b176dba89c'
down_revision = '5c7f749020ab'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_failures',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_blocked_until'), ['blocked_until'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('totp_locked_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', civicwatch.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_column('totp_locked_at')
        batch_op.drop_column('totp_failures')

    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_blocked_until'))

    op.drop_table('login_failures')
