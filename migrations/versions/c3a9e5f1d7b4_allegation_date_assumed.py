"""allegations: whether the date is the received date, taken because the complainant gave none

Revision ID: c3a9e5f1d7b4
Revises: b6d1e8f3a2c5
Create Date: 2026-12-05 05:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a9e5f1d7b4'
down_revision = 'b6d1e8f3a2c5'
branch_labels = None
depends_on = None
# No DATA_TABLES: dropping the flag loses only the words "no date given" beside a first allegation's date.


def upgrade():
    with op.batch_alter_table('allegations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_date_assumed', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    # A case's first allegation took the day the case was received (UTC) when the complainant gave no date.
    received_day = ("CAST(cases.created_at AT TIME ZONE 'UTC' AS DATE)" if op.get_context().dialect.name == "postgresql"
                    else "date(cases.created_at)")
    op.execute(sa.text(f"""
        UPDATE allegations SET incident_date_assumed = true
        WHERE allegations.id = (SELECT min(first.id) FROM allegations AS first
                                WHERE first.case_id = allegations.case_id)
          AND EXISTS (SELECT 1 FROM cases WHERE cases.id = allegations.case_id AND cases.incident_date IS NULL
                      AND {received_day} = allegations.incident_date)
    """))


def downgrade():
    with op.batch_alter_table('allegations', schema=None) as batch_op:
        batch_op.drop_column('incident_date_assumed')
