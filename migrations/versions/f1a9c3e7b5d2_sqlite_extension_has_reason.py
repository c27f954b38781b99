"""cases: the check that a deadline extension has its reason, on SQLite too (b7e3c1d9a4f2 made it on PostgreSQL
only; SQLite databases made by db.create_all() have it)

Revision ID: f1a9c3e7b5d2
Revises: d5a8c2e7f1b3
Create Date: 2026-12-06 00:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f1a9c3e7b5d2'
down_revision = 'd5a8c2e7f1b3'
branch_labels = None
depends_on = None
# No DATA_TABLES: the downgrade removes a rule, not data.

CHECK = "(deadline_extended_at IS NULL) = (deadline_extension_reason IS NULL)"
# On a line of its own, as db.create_all() writes it: SQLAlchemy reads a CHECK back line by line (and batch
# migrations copy what it reads).
CONSTRAINT = f",\n\tCONSTRAINT ck_cases_extension_has_reason CHECK ({CHECK})"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _write_cases_sql(change) -> None:
    """SQLite cannot add a constraint but by copying the table, which would drop the cases' search triggers and
    partial indexes. A CHECK changes nothing stored, so its text is edited in the schema instead
    (https://www.sqlite.org/lang_altertable.html, section 7), the rows checked against it first."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'cases'").scalar()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'cases'", (change(sql),))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _add(sql: str) -> str:
    if "ck_cases_extension_has_reason" in sql:  # a database made by db.create_all()
        return sql
    body, closing = sql.rstrip().rsplit(")", 1)
    last_line = body.rstrip()
    ending = body[len(last_line):] or "\n"
    return f"{last_line}{CONSTRAINT}{ending}){closing}"


def upgrade():
    if not _sqlite():
        return
    # The one operation that extends a deadline writes both columns together: a row breaking the rule was edited
    # by hand, and which half is right cannot be told here.
    broken = op.get_bind().exec_driver_sql(f"SELECT reference FROM cases WHERE NOT ({CHECK})").scalars().all()
    if broken:
        raise RuntimeError(f"cases {', '.join(broken[:10])} have a deadline extension without its reason (or a "
                           "reason without the extension): set both or neither, then upgrade again")
    _write_cases_sql(_add)


def downgrade():
    if _sqlite():
        _write_cases_sql(lambda sql: sql.replace(CONSTRAINT, ""))
