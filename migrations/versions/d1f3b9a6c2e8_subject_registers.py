"""subject registers: units, posts and officers each body keeps, with aliases; the subjects a case names
(proposed from its text, confirmed or rejected by staff); an allegation's perpetrator subject

Revision ID: d1f3b9a6c2e8
Revises: c4a7e2d81f35
Create Date: 2026-12-03 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'd1f3b9a6c2e8'
down_revision = 'c4a7e2d81f35'
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('subjects', 'subject_aliases', 'subject_links')


def upgrade():
    op.create_table('subjects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('unit', 'post', 'officer', name='subject_kind', native_enum=False,
                              create_constraint=True, length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], name=op.f('fk_subjects_actor_id_actors')),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_subjects_body_id_bodies')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_subjects_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subjects')),
    sa.UniqueConstraint('body_id', 'kind', 'name', name=op.f('uq_subjects_body_id'))
    )
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subjects_body_id'), ['body_id'], unique=False)

    op.create_table('subject_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=200), nullable=False),
    sa.Column('words', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_subject_aliases_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_aliases')),
    sa.UniqueConstraint('subject_id', 'words', name=op.f('uq_subject_aliases_subject_id'))
    )
    with op.batch_alter_table('subject_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_aliases_subject_id'), ['subject_id'], unique=False)

    op.create_table('subject_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'confirmed', 'rejected', name='link_status', native_enum=False,
                                create_constraint=True, length=32), nullable=False),
    sa.Column('matched', sa.String(length=200), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_subject_links_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_subject_links_decided_by_id_users')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_subject_links_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_links')),
    sa.UniqueConstraint('case_id', 'subject_id', name=op.f('uq_subject_links_case_id'))
    )
    with op.batch_alter_table('subject_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_links_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subject_links_subject_id'), ['subject_id'], unique=False)

    with op.batch_alter_table('allegations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_allegations_subject_id'), ['subject_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_allegations_subject_id_subjects'), 'subjects', ['subject_id'],
                                    ['id'])


def downgrade():
    with op.batch_alter_table('allegations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_allegations_subject_id_subjects'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_allegations_subject_id'))
        batch_op.drop_column('subject_id')

    with op.batch_alter_table('subject_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_links_subject_id'))
        batch_op.drop_index(batch_op.f('ix_subject_links_case_id'))
    op.drop_table('subject_links')

    with op.batch_alter_table('subject_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_aliases_subject_id'))
    op.drop_table('subject_aliases')

    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subjects_body_id'))
    op.drop_table('subjects')
