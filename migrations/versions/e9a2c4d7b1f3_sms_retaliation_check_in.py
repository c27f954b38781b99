"""sms retaliation check-in: a conversation waits for the answer to "has anything happened to you because you
reported?", texted 30 or 90 days after the case closed

Revision ID: e9a2c4d7b1f3
Revises: e2a7c4d9b6f1
Create Date: 2026-12-03 14:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e9a2c4d7b1f3'
down_revision = "e2a7c4d9b6f1"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()

OLD_STATES = ('idle', 'awaiting_details', 'following_up', 'asked_danger')
NEW_STATES = OLD_STATES + ('asked_check_in',)
OLD_HOLDERS = ('following_up', 'asked_danger')
NEW_HOLDERS = OLD_HOLDERS + ('asked_check_in',)


def _in(values):
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def _replace_checks(states, holders):
    with op.batch_alter_table('sms_conversations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sms_conversations_sms_conversation_state'), type_='check')
        batch_op.drop_constraint(op.f('ck_sms_conversations_following_has_case'), type_='check')
        batch_op.create_check_constraint(op.f('ck_sms_conversations_sms_conversation_state'), "state IN " + _in(states))
        batch_op.create_check_constraint(op.f('ck_sms_conversations_following_has_case'),
                                         "state NOT IN " + _in(holders) + " OR case_id IS NOT NULL")


def upgrade():
    _replace_checks(NEW_STATES, NEW_HOLDERS)


def downgrade():
    # A check-in still waiting for its answer by text can still be answered on the follow-up page.
    op.execute("UPDATE sms_conversations SET state = 'idle', case_id = NULL WHERE state = 'asked_check_in'")
    _replace_checks(OLD_STATES, OLD_HOLDERS)
