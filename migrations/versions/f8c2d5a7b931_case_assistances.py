"""case assistances: a case entered by staff on the complainant's behalf, with who entered it, the consent
wording read to the complainant, the read-back, their language and how they want to be contacted

Revision ID: f8c2d5a7b931
Revises: e3b7c1d9a4f2
Create Date: 2026-12-03 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'f8c2d5a7b931'
down_revision = "e3b7c1d9a4f2"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('case_assistances',)


def upgrade():
    op.create_table('case_assistances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('assisted_by_id', sa.Integer(), nullable=False),
    sa.Column('consent_wording', sa.Text(), nullable=False),
    sa.Column('read_back_confirmed', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('contact_by', sa.String(length=16), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("contact_by IN ('none', 'sms', 'whatsapp')", name=op.f('ck_case_assistances_contact_by_known')),
    sa.ForeignKeyConstraint(['assisted_by_id'], ['users.id'], name=op.f('fk_case_assistances_assisted_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_assistances_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_assistances')),
    sa.UniqueConstraint('case_id', name=op.f('uq_case_assistances_case_id'))
    )
    with op.batch_alter_table('case_assistances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_assistances_assisted_by_id'), ['assisted_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_assistances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_assistances_assisted_by_id'))
    op.drop_table('case_assistances')
