"""community committee role: a member of a community safety oversight committee enters complaints on someone's
behalf and belongs to their committee, as an investigator belongs to their body

Revision ID: a4d9c2e7f1b3
Revises: a7d4e2c9b6f1
Create Date: 2026-12-03 17:45:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a4d9c2e7f1b3'
down_revision = "a7d4e2c9b6f1"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()

OLD_ROLES = ('admin', 'triage', 'investigator', 'auditor')
NEW_ROLES = OLD_ROLES + ('community',)
OLD_BODY = ('investigator_has_body', "(role = 'investigator') = (body_id IS NOT NULL)")
NEW_BODY = ('role_has_body', "(role IN ('investigator', 'community')) = (body_id IS NOT NULL)")


def _roles(roles):
    return "role IN (" + ", ".join(f"'{value}'" for value in roles) + ")"


def _replace_checks(old_roles, new_roles, old_body, new_body):
    if op.get_bind().dialect.name == "sqlite":
        _rewrite_sqlite_checks([(f"CONSTRAINT ck_users_role CHECK ({_roles(old_roles)})",
                                 f"CONSTRAINT ck_users_role CHECK ({_roles(new_roles)})"),
                                (f"CONSTRAINT ck_users_{old_body[0]} CHECK ({old_body[1]})",
                                 f"CONSTRAINT ck_users_{new_body[0]} CHECK ({new_body[1]})")],
                               f"({_roles(new_roles)}) AND ({new_body[1]})")
        return
    op.drop_constraint(op.f('ck_users_role'), 'users', type_='check')
    op.create_check_constraint(op.f('ck_users_role'), 'users', _roles(new_roles))
    op.drop_constraint(op.f(f'ck_users_{old_body[0]}'), 'users', type_='check')
    op.create_check_constraint(op.f(f'ck_users_{new_body[0]}'), 'users', new_body[1])


def _rewrite_sqlite_checks(replacements, condition):
    """SQLite cannot alter a constraint; a CHECK changes nothing stored, so its text is edited in the schema
    (https://www.sqlite.org/lang_altertable.html, section 7), with the rows checked against it afterwards."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").scalar()
    for old, new in replacements:
        if old not in sql:
            raise RuntimeError(f"users: the check {old!r} is not as expected")
        sql = sql.replace(old, new)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'users'", (sql,))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    if bind.exec_driver_sql(f"SELECT count(*) FROM users WHERE NOT ({condition})").scalar():
        raise RuntimeError("users: rows outside the role checks")


def upgrade():
    _replace_checks(OLD_ROLES, NEW_ROLES, OLD_BODY, NEW_BODY)


def downgrade():
    # No older role fits a committee member (every one of them sees cases): their accounts must go first.
    bind = op.get_bind()
    if bind.exec_driver_sql("SELECT count(*) FROM users WHERE role = 'community'").scalar():
        raise RuntimeError("community committee members' accounts exist: remove them before downgrading")
    _replace_checks(NEW_ROLES, OLD_ROLES, NEW_BODY, OLD_BODY)
