"""whatsapp and assisted channels: cases and complainant messages may come by WhatsApp, or be entered by staff
for someone met in person or on the phone

Revision ID: e3b7c1d9a4f2
Revises: c8f1d2e4a6b9
Create Date: 2026-12-03 13:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e3b7c1d9a4f2'
down_revision = "c8f1d2e4a6b9"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()

OLD_CHANNELS = ('web', 'sms', 'open311', 'import')
NEW_CHANNELS = OLD_CHANNELS + ('whatsapp', 'in_person', 'phone_call')
# (table, the enum's name): the naming convention makes the check constraint ck_<table>_<name>.
COLUMNS = (('cases', 'channel'), ('case_messages', 'message_channel'))


def _allowed(channels):
    return "channel IN (" + ", ".join(f"'{value}'" for value in channels) + ")"


def _replace_checks(old, new):
    if op.get_bind().dialect.name == "sqlite":
        for table, _name in COLUMNS:
            _rewrite_sqlite_check(table, _allowed(old), _allowed(new))
        return
    for table, name in COLUMNS:
        op.drop_constraint(op.f(f'ck_{table}_{name}'), table, type_='check')
        op.create_check_constraint(op.f(f'ck_{table}_{name}'), table, _allowed(new))


def _rewrite_sqlite_check(table, old, new):
    """SQLite cannot alter a constraint, and a batch copy of `cases` would drop its full-text triggers and
    partial indexes. A CHECK changes nothing stored, so its text is edited in the schema instead: the
    procedure SQLite documents for such changes (https://www.sqlite.org/lang_altertable.html, section 7),
    with the rows checked against the new text afterwards."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    if old not in sql:
        raise RuntimeError(f"{table}: the channel check is not as expected")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                         (sql.replace(old, new), table))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    if bind.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE NOT ({new})").scalar():
        raise RuntimeError(f"{table}: rows outside the channel check")


def upgrade():
    _replace_checks(OLD_CHANNELS, NEW_CHANNELS)


def downgrade():
    # Nothing is lost but the channel's name: a WhatsApp text was a text, an assisted report a web one.
    for table, _name in COLUMNS:
        op.execute(f"UPDATE {table} SET channel = 'sms' WHERE channel = 'whatsapp'")
        op.execute(f"UPDATE {table} SET channel = 'web' WHERE channel IN ('in_person', 'phone_call')")
    _replace_checks(NEW_CHANNELS, OLD_CHANNELS)
