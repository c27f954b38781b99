"""cases indexes: the dashboard's quarter of cases by channel read from the index, not the whole table; the
newest cases of one place and theme for related-case suggestions

Revision ID: f3c8a1d5e7b2
Revises: f2c6a8e4d1b7
Create Date: 2026-12-03 16:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f3c8a1d5e7b2'
down_revision = "f2c6a8e4d1b7"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_created_at', ['created_at'], unique=False,
                              postgresql_include=['channel', 'body_id'])
        batch_op.create_index('ix_cases_district_id_theme_id_created_at', ['district_id', 'theme_id', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_district_id_theme_id_created_at')
        batch_op.drop_index('ix_cases_created_at')
