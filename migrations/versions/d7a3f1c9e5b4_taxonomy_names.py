"""taxonomy names per language: bodies, themes, actors, regions and districts get a `names` column
({"fr": ..., "kri": ...}) for the public pages; the default taxonomy's rows get its French and Krio names

Revision ID: d7a3f1c9e5b4
Revises: c5e1a9d3f7b2
Create Date: 2026-12-03 23:50:00.000000

"""
import json
import uuid
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd7a3f1c9e5b4'
down_revision = "c5e1a9d3f7b2"
branch_labels = None
depends_on = None
# Tables (or tables of dropped columns) whose data downgrade() would destroy; env.py refuses while they hold rows.
DATA_TABLES = ()

TABLES = ("bodies", "themes", "actors", "regions", "districts")
DEFAULT_TAXONOMY = Path(__file__).resolve().parents[2] / "civicwatch" / "taxonomy" / "data" / "default.json"
settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.JSON))


def _default_names() -> dict[str, list[tuple[str, str, dict]]]:
    """(code, English name, names) of the default taxonomy's entries, by table; bodies per region expanded."""
    data = json.loads(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))
    found: dict[str, list[tuple[str, str, dict]]] = {table: [] for table in TABLES}
    for table, key in (("themes", "themes"), ("actors", "actors"), ("regions", "regions")):
        found[table] = [(e["code"], e["name"], e.get("names", {})) for e in data[key]]
    found["districts"] = [(d["code"], d["name"], d.get("names", {})) for r in data["regions"] for d in r["districts"]]
    for spec in data["bodies"]:
        if not spec.get("per_region"):
            found["bodies"].append((spec["code"], spec["name"], spec.get("names", {})))
            continue
        for r in data["regions"]:
            values = {"region": r["code"], "region_name": r["name"]}
            names = {language: name.format(region=r["code"], region_name=r.get("names", {}).get(language, r["name"]))
                     for language, name in spec.get("names", {}).items()}
            found["bodies"].append((spec["code"].format(**values), spec["name"].format(**values), names))
    return found


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column("names", sa.JSON(), server_default="{}", nullable=False))
    bind = op.get_bind()
    for table, entries in _default_names().items():
        rows = sa.table(table, sa.column("code", sa.String), sa.column("name", sa.String), sa.column("names", sa.JSON))
        for code, name, names in entries:
            if names:  # only a default row still named as the default names it: a deployment's own is left alone
                bind.execute(rows.update().where(rows.c.code == code, rows.c.name == name).values(names=names))
    # Running processes reload the taxonomy when this token changes.
    bind.execute(settings.update().where(settings.c.key == "taxonomy_version").values(value=uuid.uuid4().hex))


def downgrade():
    for table in TABLES:
        if op.get_bind().dialect.name == "sqlite":  # SQLite 3.35+ drops a column in place (no copy of a referenced table)
            op.execute(f"ALTER TABLE {table} DROP COLUMN names")
        else:
            op.drop_column(table, "names")
