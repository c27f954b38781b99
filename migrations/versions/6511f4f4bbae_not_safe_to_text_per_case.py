"""numbers not safe to text: one row per case whose complainant said so, so that a case's "Yes" takes back only its
own "No" (anyone can type a number into the report form)

Revision ID: 6511f4f4bbae
Revises: 82a3847eb3cc
Create Date: 2026-12-06 14:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6511f4f4bbae'
down_revision = '82a3847eb3cc'
branch_labels = None
depends_on = None

DATA_TABLES = ('not_safe_to_text',)


def upgrade():
    with op.batch_alter_table('not_safe_to_text') as batch:
        batch.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
    # A marking written before kept no case: it goes to the number's newest case not erased (the last report
    # to answer, or the one whose follow-up page answered). One whose cases were all erased keeps none, as an
    # erased case's marking does from now on. A phone's own QUIET by SMS keeps none: it is no report's answer.
    op.execute(sa.text(
        "UPDATE not_safe_to_text SET case_id = (SELECT max(cases.id) FROM cases "
        "WHERE cases.contact_phone_hash = not_safe_to_text.phone_hash) WHERE source != 'keyword'"))
    with op.batch_alter_table('not_safe_to_text') as batch:
        batch.drop_constraint('uq_not_safe_to_text_phone_hash', type_='unique')
        batch.create_unique_constraint(batch.f('uq_not_safe_to_text_phone_hash'), ['phone_hash', 'case_id'])
        batch.create_foreign_key(batch.f('fk_not_safe_to_text_case_id_cases'), 'cases', ['case_id'], ['id'])
        batch.create_index(batch.f('ix_not_safe_to_text_case_id'), ['case_id'], unique=False)


def downgrade():
    # One row per number again: the oldest marking of each number stays.
    op.execute(sa.text(
        "DELETE FROM not_safe_to_text WHERE id NOT IN (SELECT min(id) FROM not_safe_to_text GROUP BY phone_hash)"))
    with op.batch_alter_table('not_safe_to_text') as batch:
        batch.drop_index(batch.f('ix_not_safe_to_text_case_id'))
        batch.drop_constraint(batch.f('fk_not_safe_to_text_case_id_cases'), type_='foreignkey')
        batch.drop_constraint('uq_not_safe_to_text_phone_hash', type_='unique')
        batch.create_unique_constraint(batch.f('uq_not_safe_to_text_phone_hash'), ['phone_hash'])
        batch.drop_column('case_id')
