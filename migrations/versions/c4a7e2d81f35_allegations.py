"""allegations: a case holds one or more (act, victim, perpetrator, place, date, finding, remedy); every existing
case gets one, from its theme, actor, place and dates

Revision ID: c4a7e2d81f35
Revises: d41e9b7c2a13
Create Date: 2026-12-03 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'c4a7e2d81f35'
down_revision = "d41e9b7c2a13"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
# The allegations made by this migration are read from the cases again; staff's own are not.
DATA_TABLES = ('allegations',)

FINDINGS = ('substantiated', 'partly_substantiated', 'not_substantiated', 'unfounded', 'policy_failure',
            'no_jurisdiction')


def upgrade():
    op.create_table('allegations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('victim', sa.String(length=500), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('location_text', sa.String(length=500), nullable=True),
    sa.Column('incident_date', sa.Date(), nullable=True),
    sa.Column('finding', sa.Enum(*FINDINGS, name='allegation_finding', native_enum=False, create_constraint=True,
                                 length=32), nullable=True),
    sa.Column('remedy', sa.Text(), nullable=True),
    sa.Column('updated_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], name=op.f('fk_allegations_actor_id_actors')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_allegations_case_id_cases')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_allegations_district_id_districts')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_allegations_region_id_regions')),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_allegations_theme_id_themes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allegations'))
    )
    with op.batch_alter_table('allegations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allegations_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allegations_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allegations_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allegations_incident_date'), ['incident_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_allegations_theme_id'), ['theme_id'], unique=False)
    # One allegation per case: its act, service, place and date; the case's outcome is the finding.
    day = {"sqlite": "date(created_at)"}.get(op.get_bind().dialect.name, "CAST(created_at AT TIME ZONE 'UTC' AS DATE)")
    op.execute(
        "INSERT INTO allegations (case_id, theme_id, actor_id, region_id, district_id, location_text, incident_date, "
        "finding, created_at, updated_at) "
        f"SELECT id, theme_id, actor_id, region_id, district_id, location_text, COALESCE(incident_date, {day}), "
        "outcome, created_at, created_at FROM cases ORDER BY id"
    )


def downgrade():
    with op.batch_alter_table('allegations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allegations_theme_id'))
        batch_op.drop_index(batch_op.f('ix_allegations_incident_date'))
        batch_op.drop_index(batch_op.f('ix_allegations_district_id'))
        batch_op.drop_index(batch_op.f('ix_allegations_case_id'))
        batch_op.drop_index(batch_op.f('ix_allegations_actor_id'))

    op.drop_table('allegations')
