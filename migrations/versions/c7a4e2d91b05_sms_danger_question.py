"""sms danger question: a conversation waits for YES or NO to "is someone hurt, held or threatened right now?"

Revision ID: c7a4e2d91b05
Revises: b3e6f1a2c9d4
Create Date: 2026-12-03 09:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c7a4e2d91b05'
down_revision = "b3e6f1a2c9d4"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()

OLD_STATES = ('idle', 'awaiting_details', 'following_up')
NEW_STATES = OLD_STATES + ('asked_danger',)


def _states(values):
    return "state IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _replace_checks(states, holders):
    with op.batch_alter_table('sms_conversations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sms_conversations_sms_conversation_state'), type_='check')
        batch_op.drop_constraint(op.f('ck_sms_conversations_following_has_case'), type_='check')
        batch_op.create_check_constraint(op.f('ck_sms_conversations_sms_conversation_state'), _states(states))
        batch_op.create_check_constraint(
            op.f('ck_sms_conversations_following_has_case'),
            "state NOT IN (" + ", ".join(f"'{value}'" for value in holders) + ") OR case_id IS NOT NULL"
            if len(holders) > 1 else f"state <> '{holders[0]}' OR case_id IS NOT NULL")


def upgrade():
    _replace_checks(NEW_STATES, ('following_up', 'asked_danger'))


def downgrade():
    # A question still waiting for its answer becomes an ordinary follow-up window.
    op.execute("UPDATE sms_conversations SET state = 'following_up' WHERE state = 'asked_danger'")
    _replace_checks(OLD_STATES, ('following_up',))
