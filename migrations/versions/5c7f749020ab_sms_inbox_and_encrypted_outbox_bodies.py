"""SMS inbox and encrypted outbox bodies

The webhook now only stores each text in sms_inbox; workers answer them. Outbox texts are stored encrypted
(a reply can carry a receipt code); rows written before keep their plain `body`.

Revision ID: 5c7f749020ab
Revises: 98bacf744698
Create Date: 2026-11-25 11:04:14.292693

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = '5c7f749020ab'
down_revision = '98bacf744698'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_sid', sa.String(length=64), nullable=False),
    sa.Column('sender_hash', sa.String(length=64), nullable=False),
    sa.Column('payload_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_inbox')),
    sa.UniqueConstraint('message_sid', name=op.f('uq_sms_inbox_message_sid'))
    )
    with op.batch_alter_table('sms_inbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_inbox_sender_hash'), ['sender_hash'], unique=False)

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_encrypted', sa.LargeBinary(), nullable=True))
        batch_op.alter_column('body',
               existing_type=sa.TEXT(),
               nullable=True)



def downgrade():
    # Going back would drop texts not yet answered and outbox texts that only exist encrypted.
    connection = op.get_bind()
    waiting = connection.execute(sa.text("SELECT count(*) FROM sms_inbox")).scalar()
    encrypted = connection.execute(sa.text("SELECT count(*) FROM outbound_messages WHERE body IS NULL")).scalar()
    if waiting or encrypted:
        raise RuntimeError(f"cannot downgrade: {waiting} texts wait in the SMS inbox and {encrypted} outbox "
                           "messages are stored encrypted only; answer and send them first")
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column('body',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.drop_column('body_encrypted')

    with op.batch_alter_table('sms_inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_inbox_sender_hash'))

    op.drop_table('sms_inbox')
