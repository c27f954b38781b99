"""the audit chain's own key (CIVICWATCH_AUDIT_KEY): entries chained before with the key derived from the encryption
key are sealed by an `audit.key_switched` entry, chained with the new key

The switch entry links to the last entry as it was, so no entry is rewritten (copies of the tip kept outside
the database still match). Its values name how many entries came before it, a digest of them under the new key
(`sealed`: they stay verifiable after the encryption key is rotated) and the entries that already failed the old
key's check (`broken_before`). Migrations run inside the app: both keys are its settings. A chain still empty
gets no switch entry: every entry it will hold is chained with the new key.

Downgrade removes the switch entry while it is the newest; entries chained after it with the new key cannot be
verified by the release before.

Revision ID: b9d4f2a6c8e1
Revises: b4d8f2a6c1e9
Create Date: 2026-12-06 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import civicwatch.database


# revision identifiers, used by Alembic.
revision = 'b9d4f2a6c8e1'
down_revision = 'b4d8f2a6c1e9'
branch_labels = None
depends_on = None
# No DATA_TABLES: a downgrade removes only the switch entry.

SWITCH_ACTION = "audit.key_switched"
ENTRIES = sa.table(
    "audit_entries", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
    sa.column("created_at", civicwatch.database.UTCDateTime(timezone=True)), sa.column("user_id", sa.Integer),
    sa.column("action", sa.String), sa.column("object_type", sa.String), sa.column("object_id", sa.String),
    sa.column("case_id", sa.Integer), sa.column("before", sa.JSON), sa.column("after", sa.JSON),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)


def upgrade():
    # Imported here, with the app: the chain's digest is the app's, and must be the one `audit verify` checks.
    from civicwatch.audit.operations import chain_key, entry_digest, legacy_chain_key, LegacySeal
    from civicwatch.database import utcnow

    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(727011)"))  # the chain's lock (audit/operations.py)
    seal, broken, last = LegacySeal(chain_key()), [], None
    legacy_key = legacy_chain_key()
    for row in connection.execute(sa.select(ENTRIES).order_by(ENTRIES.c.seq)):
        values = (row.prev_hash, row.seq, row.created_at, row.user_id, row.action, row.object_type, row.object_id,
                  row.case_id, row.before, row.after)
        seal.add(*values)
        if row.hash != entry_digest(legacy_key, *values):
            broken.append(row.seq)
        last = row
    if last is None:
        return
    after = {"chain_key": "CIVICWATCH_AUDIT_KEY", "entries_before": last.seq, "sealed": seal.hexdigest(),
             "broken_before": broken}
    switch = dict(seq=last.seq + 1, created_at=utcnow(), user_id=None, action=SWITCH_ACTION, object_type="system",
                  object_id=None, case_id=None, before=None, after=after, prev_hash=last.hash)
    switch["hash"] = entry_digest(chain_key(), switch["prev_hash"], switch["seq"], switch["created_at"], None,
                                  SWITCH_ACTION, "system", None, None, None, after)
    connection.execute(sa.insert(ENTRIES).values(**switch))


def downgrade():
    connection = op.get_bind()
    newest = connection.execute(sa.select(ENTRIES.c.seq, ENTRIES.c.action).order_by(ENTRIES.c.seq.desc())
                                .limit(1)).first()
    if newest is not None and newest.action == SWITCH_ACTION:
        connection.execute(sa.delete(ENTRIES).where(ENTRIES.c.seq == newest.seq))
