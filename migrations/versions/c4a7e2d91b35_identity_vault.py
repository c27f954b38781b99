"""identity vault: complainants' contact details move to their own table under their own key; disclosure
requests decided by identity custodians

Existing contact details are decrypted with the content key and encrypted again with CIVICWATCH_IDENTITY_KEY
(migrations run inside the app), then the case column is dropped.

Revision ID: c4a7e2d91b35
Revises: c7a4e2d91b05
Create Date: 2026-12-04 09:00:00.000000

"""
from alembic import context, op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'c4a7e2d91b35'
down_revision = "c7a4e2d91b05"
branch_labels = None
depends_on = None
# Tables whose data downgrade() would destroy (the contact details themselves move back to the cases).
DATA_TABLES = ("disclosure_requests",)

CASES = sa.table("cases", sa.column("id", sa.Integer), sa.column("contact_encrypted", sa.LargeBinary))
IDENTITIES = sa.table(
    "complainant_identities", sa.column("case_id", sa.Integer), sa.column("contact_encrypted", sa.LargeBinary),
    sa.column("phone_masked", sa.String), sa.column("email_masked", sa.String),
    sa.column("created_at", civicwatch.database.UTCDateTime(timezone=True)),
)


def upgrade():
    op.create_table('complainant_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('contact_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('phone_masked', sa.String(length=32), nullable=True),
    sa.Column('email_masked', sa.String(length=64), nullable=True),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_complainant_identities_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complainant_identities')),
    sa.UniqueConstraint('case_id', name=op.f('uq_complainant_identities_case_id'))
    )
    op.create_table('disclosure_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('within_body', 'outside_body', name='disclosure_scope', native_enum=False,
                               create_constraint=True, length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=True),
    sa.Column('status', sa.Enum('pending', 'approved', 'refused', name='disclosure_status', native_enum=False,
                                create_constraint=True, length=32), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('expires_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('complainant_told_at', civicwatch.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('legal_bar', sa.Text(), nullable=True),
    sa.Column('created_at', civicwatch.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('decided_by_id IS NULL OR decided_by_id <> requester_id', name=op.f('ck_disclosure_requests_four_eyes')),
    sa.CheckConstraint("status <> 'approved' OR expires_at IS NOT NULL", name=op.f('ck_disclosure_requests_approved_has_expiry')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_disclosure_requests_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_disclosure_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_disclosure_requests_requester_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_requests'))
    )
    with op.batch_alter_table('disclosure_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_requests_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_requests_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_requests_status'), ['status'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_custodian', sa.Boolean(), server_default=sa.false(), nullable=False))

    _move_contacts(into_vault=True)
    # Not in batch mode: on SQLite that would copy the cases table and lose its full-text search triggers.
    op.drop_column('cases', 'contact_encrypted')


def downgrade():
    op.add_column('cases', sa.Column('contact_encrypted', sa.LargeBinary(), nullable=True))
    _move_contacts(into_vault=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('identity_custodian')

    with op.batch_alter_table('disclosure_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_requests_status'))
        batch_op.drop_index(batch_op.f('ix_disclosure_requests_requester_id'))
        batch_op.drop_index(batch_op.f('ix_disclosure_requests_case_id'))

    op.drop_table('disclosure_requests')
    op.drop_table('complainant_identities')


def _move_contacts(into_vault: bool) -> None:
    """Contact details from the case (content key) to the vault (identity key), or back. Nothing to do when
    generating SQL offline."""
    if context.is_offline_mode():
        return
    from civicwatch.cases.identity import mask_email, mask_phone
    from civicwatch.crypto import IDENTITY_KEY, decrypt_json, decrypt_json_with, encrypt_json, encrypt_json_with
    from civicwatch.database import utcnow

    connection = op.get_bind()
    if into_vault:
        rows = connection.execute(sa.select(CASES.c.id, CASES.c.contact_encrypted)
                                  .where(CASES.c.contact_encrypted.is_not(None))).all()
        for case_id, token in rows:
            contact = decrypt_json(token)
            connection.execute(IDENTITIES.insert().values(
                case_id=case_id, contact_encrypted=encrypt_json_with(IDENTITY_KEY, contact), created_at=utcnow(),
                phone_masked=mask_phone(contact.get("phone")), email_masked=mask_email(contact.get("email"))))
        return
    rows = connection.execute(sa.select(IDENTITIES.c.case_id, IDENTITIES.c.contact_encrypted)).all()
    for case_id, token in rows:
        contact = decrypt_json_with(IDENTITY_KEY, token)
        connection.execute(CASES.update().where(CASES.c.id == case_id).values(contact_encrypted=encrypt_json(contact)))
