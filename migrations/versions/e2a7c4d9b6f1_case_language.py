"""case language: the language a complaint's text is written in, detected on arrival

Revision ID: e2a7c4d9b6f1
Revises: c3d9a7e2f4b8
Create Date: 2026-12-03 14:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2a7c4d9b6f1'
down_revision = "c3d9a7e2f4b8"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ('cases',)


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('language')
