"""case_relations: each case's body decides the suggestion for its own case (related_status), so that one body
dismissing it no longer takes it off another body's case

Revision ID: d5a8c2e7f1b3
Revises: b4e1c7a9d2f6
Create Date: 2026-12-05 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5a8c2e7f1b3'
down_revision = 'b4e1c7a9d2f6'
branch_labels = None
depends_on = None
# No DATA_TABLES: a downgrade keeps the decisions seen from each relation's newer case.


def upgrade():
    with op.batch_alter_table('case_relations', schema=None) as batch_op:
        # A plain column and its check, as enum_column makes them (an Enum here would add the check twice).
        batch_op.add_column(sa.Column('related_status', sa.String(length=32), server_default='proposed',
                                      nullable=False))
        batch_op.create_check_constraint(op.f('ck_case_relations_related_relation_status'),
                                         "related_status IN ('proposed', 'linked', 'dismissed')")
    # Decisions made before held for both cases: they still do.
    op.execute("UPDATE case_relations SET related_status = status")


def downgrade():
    with op.batch_alter_table('case_relations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_case_relations_related_relation_status'), type_='check')
        batch_op.drop_column('related_status')
