"""known sign-in networks: a pause of an account after wrong passwords from many networks spares the networks it
signed in from

Revision ID: b6d1e8f3a2c5
Revises: a4e7c2f9d1b3
Create Date: 2026-12-04 22:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'b6d1e8f3a2c5'
down_revision = 'a4e7c2f9d1b3'
branch_labels = None
depends_on = None
# No DATA_TABLES: the table only spares networks from a pause; losing it on a downgrade loses nothing owed.


def upgrade():
    op.create_table('known_sign_in_networks',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('last_seen_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_known_sign_in_networks'))
    )
    with op.batch_alter_table('known_sign_in_networks') as batch_op:
        batch_op.create_index(batch_op.f('ix_known_sign_in_networks_last_seen_at'), ['last_seen_at'], unique=False)


def downgrade():
    with op.batch_alter_table('known_sign_in_networks') as batch_op:
        batch_op.drop_index(batch_op.f('ix_known_sign_in_networks_last_seen_at'))
    op.drop_table('known_sign_in_networks')
