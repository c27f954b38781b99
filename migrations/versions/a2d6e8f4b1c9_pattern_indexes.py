"""pattern indexes: cases by place and time (related-case suggestions), allegations by act and date (pattern rules)

Revision ID: a2d6e8f4b1c9
Revises: f5b8d3e1a7c4
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a2d6e8f4b1c9'
down_revision = 'f5b8d3e1a7c4'
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()


def upgrade():
    # Plain CREATE INDEX (no batch mode): rebuilding `cases` on SQLite would drop its search triggers.
    op.create_index('ix_cases_district_id_created_at', 'cases', ['district_id', 'created_at'], unique=False)
    op.create_index('ix_allegations_theme_id_incident_date', 'allegations', ['theme_id', 'incident_date'],
                    unique=False)


def downgrade():
    op.drop_index('ix_allegations_theme_id_incident_date', table_name='allegations')
    op.drop_index('ix_cases_district_id_created_at', table_name='cases')
