"""pattern alerts: clusters above the thresholds, the bodies they concern, their evidence and workflow

Revision ID: f5b8d3e1a7c4
Revises: e7c2a4f90b16
Create Date: 2026-12-03 11:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'f5b8d3e1a7c4'
down_revision = 'e7c2a4f90b16'
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('pattern_alerts', 'pattern_alert_bodies', 'pattern_alert_evidence')


def upgrade():
    op.create_table('pattern_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('open', 'acknowledged', 'referred', 'closed', name='alert_status',
                                native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('window_end', sa.Date(), nullable=False),
    sa.Column('updated_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_pattern_alerts_district_id_districts')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_pattern_alerts_subject_id_subjects')),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_pattern_alerts_theme_id_themes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pattern_alerts'))
    )
    with op.batch_alter_table('pattern_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pattern_alerts_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_pattern_alerts_rule'), ['rule'], unique=False)
        batch_op.create_index(batch_op.f('ix_pattern_alerts_status'), ['status'], unique=False)

    op.create_table('pattern_alert_bodies',
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['pattern_alerts.id'],
                            name=op.f('fk_pattern_alert_bodies_alert_id_pattern_alerts')),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_pattern_alert_bodies_body_id_bodies')),
    sa.PrimaryKeyConstraint('alert_id', 'body_id', name=op.f('pk_pattern_alert_bodies'))
    )
    with op.batch_alter_table('pattern_alert_bodies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pattern_alert_bodies_body_id'), ['body_id'], unique=False)

    op.create_table('pattern_alert_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('allegation_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['pattern_alerts.id'],
                            name=op.f('fk_pattern_alert_evidence_alert_id_pattern_alerts')),
    sa.ForeignKeyConstraint(['allegation_id'], ['allegations.id'],
                            name=op.f('fk_pattern_alert_evidence_allegation_id_allegations')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_pattern_alert_evidence_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pattern_alert_evidence')),
    sa.UniqueConstraint('alert_id', 'case_id', name=op.f('uq_pattern_alert_evidence_alert_id'))
    )
    with op.batch_alter_table('pattern_alert_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pattern_alert_evidence_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pattern_alert_evidence_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pattern_alert_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pattern_alert_evidence_case_id'))
        batch_op.drop_index(batch_op.f('ix_pattern_alert_evidence_alert_id'))
    op.drop_table('pattern_alert_evidence')
    with op.batch_alter_table('pattern_alert_bodies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pattern_alert_bodies_body_id'))
    op.drop_table('pattern_alert_bodies')
    with op.batch_alter_table('pattern_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pattern_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_pattern_alerts_rule'))
        batch_op.drop_index(batch_op.f('ix_pattern_alerts_key'))
    op.drop_table('pattern_alerts')
