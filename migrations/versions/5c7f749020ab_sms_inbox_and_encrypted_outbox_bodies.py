"""SMS inbox and encrypted outbox bodies

The webhook now only stores each text in sms_inbox; workers answer them. Outbox texts are stored encrypted
(a reply can carry a receipt code); rows written before keep their plain `body`.

Revision ID: 5c7f749020ab
Revises: 98bacf744698
Create Date: 2026-11-25 11:04:14.292693

"""
from alembic import context, op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = '5c7f749020ab'
down_revision = '98bacf744698'
branch_labels = None
depends_on = None
# Tables whose data downgrade() would destroy (it refuses by itself while texts wait in the inbox).
DATA_TABLES = ("sms_inbox",)


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
    _rewrite_bodies(encrypt=True)


def downgrade():
    # Going back would drop texts not yet answered: they must be answered (or deleted by hand) first.
    waiting = op.get_bind().execute(sa.text("SELECT count(*) FROM sms_inbox")).scalar()
    if waiting:
        raise RuntimeError(f"cannot downgrade: {waiting} texts are in the SMS inbox. Answer them with "
                           "`civicwatch deliver --once`; texts set aside stay until deleted from sms_inbox.")
    _rewrite_bodies(encrypt=False)
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column('body',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.drop_column('body_encrypted')

    with op.batch_alter_table('sms_inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_inbox_sender_hash'))

    op.drop_table('sms_inbox')


def _rewrite_bodies(encrypt: bool) -> None:
    """Outbox texts: plain `body` to `body_encrypted` on the way up, back on the way down (with the app's key;
    migrations run inside the app). Nothing to do when generating SQL offline."""
    if context.is_offline_mode():
        return
    from civicwatch.crypto import decrypt_text, encrypt_text

    connection = op.get_bind()
    table = sa.table("outbound_messages", sa.column("id", sa.Integer), sa.column("body", sa.Text),
                     sa.column("body_encrypted", sa.LargeBinary))
    source = table.c.body if encrypt else table.c.body_encrypted
    rows = connection.execute(sa.select(table.c.id, source).where(source.is_not(None))).all()
    for row_id, value in rows:
        values = ({"body_encrypted": encrypt_text(value), "body": None} if encrypt
                  else {"body": decrypt_text(value), "body_encrypted": None})
        connection.execute(table.update().where(table.c.id == row_id).values(**values))
