"""taxonomy terms in capitals: the gazetteer now matches a term written all in capitals only in capitals, so the
default taxonomy's "nia" and "luc" become "NIA" and "LUC" (Krio "nia" means "near"; Luc is a first name)

Revision ID: c5e1a9d3f7b2
Revises: a4d9c2e7f1b3
Create Date: 2026-12-03 20:40:00.000000

"""
import json
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e1a9d3f7b2'
down_revision = "a4d9c2e7f1b3"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()

CAPITALS = {"intelligence": ("nia", "NIA"), "police": ("luc", "LUC")}

actors = sa.table("actors", sa.column("code", sa.String), sa.column("terms", sa.JSON))
settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.JSON))


def _respell(upper: bool) -> None:
    bind = op.get_bind()
    changed = False
    for code, (lower, capitals) in CAPITALS.items():
        old, new = (lower, capitals) if upper else (capitals, lower)
        terms = bind.execute(sa.select(actors.c.terms).where(actors.c.code == code)).scalar()
        if isinstance(terms, str):
            terms = json.loads(terms)
        if not isinstance(terms, list) or old not in terms:
            continue  # a deployment's own taxonomy: left as its admins wrote it
        respelt = list(dict.fromkeys(new if term == old else term for term in terms))
        bind.execute(actors.update().where(actors.c.code == code).values(terms=respelt))
        changed = True
    if changed:
        # Running processes reload the taxonomy (and the gazetteer) when this token changes.
        bind.execute(settings.update().where(settings.c.key == "taxonomy_version").values(value=uuid.uuid4().hex))


def upgrade():
    _respell(upper=True)


def downgrade():
    _respell(upper=False)
