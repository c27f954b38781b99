"""whatsapp session window: when each WhatsApp identity last wrote, the template waiting for its answer, and
outbox messages held until it writes again or sent as an approved template

Revision ID: f2c6a8e4d1b7
Revises: e9a2c4d7b1f3
Create Date: 2026-12-03 17:05:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'f2c6a8e4d1b7'
down_revision = "e9a2c4d7b1f3"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('whatsapp_sessions',)


def upgrade():
    op.create_table('whatsapp_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_hash', sa.String(length=64), nullable=False),
    sa.Column('last_inbound_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('template_message_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['template_message_id'], ['outbound_messages.id'],
                            name=op.f('fk_whatsapp_sessions_template_message_id_outbound_messages'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whatsapp_sessions')),
    sa.UniqueConstraint('contact_hash', name=op.f('uq_whatsapp_sessions_contact_hash'))
    )
    with op.batch_alter_table('outbound_messages') as batch_op:
        batch_op.add_column(sa.Column('held_since', civicwatch.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('content_sid', sa.String(length=64), nullable=True))


def downgrade():
    # A held message becomes an ordinary pending one (sent free-form, which WhatsApp may refuse).
    with op.batch_alter_table('outbound_messages') as batch_op:
        batch_op.drop_column('content_sid')
        batch_op.drop_column('held_since')
    op.drop_table('whatsapp_sessions')
