"""statutory clock: bodies' deadlines in working days, the holidays table, one extension per case with its
reason, and deadline reminders and escalations with the staff notifications they send

Revision ID: b7e3c1d9a4f2
Revises: d41f8a3c6e27
Create Date: 2026-12-03 13:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'b7e3c1d9a4f2'
down_revision = "d41f8a3c6e27"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('holidays', 'deadline_alerts', 'staff_notifications')

# Renamed in place (no table rebuild on SQLite, where rebuilding bodies would break the keys pointing at it),
# then hours become whole working days (at least one), calendar days five working days in seven.
RENAMES = (("acknowledge_hours", "acknowledge_days"), ("acknowledge_hours_urgent", "acknowledge_days_urgent"))
TO_WORKING_DAYS = """
UPDATE bodies SET
  acknowledge_days = CASE WHEN acknowledge_days < 24 THEN 1 ELSE (acknowledge_days + 23) / 24 END,
  acknowledge_days_urgent = CASE WHEN acknowledge_days_urgent < 24 THEN 1 ELSE (acknowledge_days_urgent + 23) / 24 END,
  respond_days = CASE WHEN respond_days < 2 THEN 1 ELSE (respond_days * 5 + 6) / 7 END,
  respond_days_urgent = CASE WHEN respond_days_urgent < 2 THEN 1 ELSE (respond_days_urgent * 5 + 6) / 7 END
"""
TO_CALENDAR = """
UPDATE bodies SET
  acknowledge_days = acknowledge_days * 24,
  acknowledge_days_urgent = acknowledge_days_urgent * 24,
  respond_days = (respond_days * 7 + 4) / 5,
  respond_days_urgent = (respond_days_urgent * 7 + 4) / 5
"""
# SQLite adds a check constraint only by rebuilding the table, which would drop the cases' search triggers:
# there the operation that sets the two columns (always together) keeps the rule.
EXTENSION_CHECK = "(deadline_extended_at IS NULL) = (deadline_extension_reason IS NULL)"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    for old, new in RENAMES:
        op.execute(f"ALTER TABLE bodies RENAME COLUMN {old} TO {new}")
    op.execute(TO_WORKING_DAYS)

    # Plain ALTER TABLE (no batch copy of the table): the search triggers and many tables point at cases.
    op.add_column('cases', sa.Column('deadline_extended_at', civicwatch.database.UTCDateTime(timezone=True),
                                     nullable=True))
    op.add_column('cases', sa.Column('deadline_extension_reason', sa.Text(), nullable=True))
    if _postgresql():
        op.create_check_constraint(op.f('ck_cases_extension_has_reason'), 'cases', EXTENSION_CHECK)

    op.create_table('holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holidays')),
    sa.UniqueConstraint('day', name=op.f('uq_holidays_day'))
    )
    op.create_table('deadline_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('due_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_deadline_alerts_body_id_bodies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_deadline_alerts_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_alerts')),
    sa.UniqueConstraint('case_id', 'deadline', 'stage', 'due_at',
                        name=op.f('uq_deadline_alerts_case_id'))
    )
    with op.batch_alter_table('deadline_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_alerts_case_id'), ['case_id'], unique=False)
    op.create_table('staff_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['deadline_alerts.id'],
                            name=op.f('fk_staff_notifications_alert_id_deadline_alerts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_notifications'))
    )
    with op.batch_alter_table('staff_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_notifications_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_notifications_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_notifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_staff_notifications_alert_id'))
    op.drop_table('staff_notifications')
    with op.batch_alter_table('deadline_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_alerts_case_id'))
    op.drop_table('deadline_alerts')
    op.drop_table('holidays')

    if _postgresql():
        op.drop_constraint(op.f('ck_cases_extension_has_reason'), 'cases', type_='check')
    for column in ('deadline_extension_reason', 'deadline_extended_at'):
        if op.get_bind().dialect.name == 'sqlite':  # SQLite 3.35+ drops a column in place
            op.execute(f'ALTER TABLE cases DROP COLUMN {column}')
        else:
            op.drop_column('cases', column)

    op.execute(TO_CALENDAR)
    for old, new in RENAMES:
        op.execute(f"ALTER TABLE bodies RENAME COLUMN {new} TO {old}")
