"""users: a password reset to a temporary one must be changed at the next sign-in

Revision ID: d4b7e2a9c6f1
Revises: c3a9e5f1d7b4
Create Date: 2026-12-05 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4b7e2a9c6f1'
down_revision = 'c3a9e5f1d7b4'
branch_labels = None
depends_on = None
# No DATA_TABLES: dropping the flag only lets a member keep a temporary password.


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_must_change', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_must_change')
