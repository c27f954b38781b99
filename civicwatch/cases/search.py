"""Full-text search over case text: SQLite FTS5 or a PostgreSQL GIN index, the same query interface.

The structures are created from the `cases` table's DDL events, so `db.create_all()` builds them; the
Alembic migration must run the same statements (`search_ddl(dialect)`). SQLite keeps its index in step
with triggers; PostgreSQL indexes an expression, which is always in step with the row.
"""
from __future__ import annotations

import re

from sqlalchemy import DDL, ColumnElement, Connection, SQLColumnExpression, Table, TextClause, event, literal, text

FTS_TABLE = "cases_fts"
PG_INDEX = "ix_cases_fts_document"
PG_CONFIG = "english"
# The indexed document; a query must use exactly this expression for PostgreSQL to use the index.
PG_DOCUMENT = f"to_tsvector('{PG_CONFIG}', coalesce(text, '') || ' ' || coalesce(location_text, ''))"
PG_DOCUMENT_QUALIFIED = (
    f"to_tsvector('{PG_CONFIG}', coalesce(cases.text, '') || ' ' || coalesce(cases.location_text, ''))"
)

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(text, location_text, content='cases', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER {FTS_TABLE}_after_insert AFTER INSERT ON cases BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, text, location_text) VALUES (new.id, new.text, new.location_text); END",
    f"CREATE TRIGGER {FTS_TABLE}_after_delete AFTER DELETE ON cases BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text, location_text) "
    "VALUES ('delete', old.id, old.text, old.location_text); END",
    f"CREATE TRIGGER {FTS_TABLE}_after_update AFTER UPDATE OF text, location_text ON cases BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text, location_text) "
    "VALUES ('delete', old.id, old.text, old.location_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, text, location_text) VALUES (new.id, new.text, new.location_text); END",
)
SQLITE_DROP = (f"DROP TABLE IF EXISTS {FTS_TABLE}",)
POSTGRES_DDL = (f"CREATE INDEX {PG_INDEX} ON cases USING gin ({PG_DOCUMENT})",)
POSTGRES_DROP = (f"DROP INDEX IF EXISTS {PG_INDEX}",)

_WORDS = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def search_ddl(dialect: str) -> tuple[str, ...]:
    """The statements that create the search structures after the `cases` table exists."""
    return {"sqlite": SQLITE_DDL, "postgresql": POSTGRES_DDL}.get(dialect, ())


def install_search_structures(table: Table) -> None:
    """Create (and drop) the search structures together with `table` when the metadata builds it."""
    for statement in SQLITE_DDL:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRES_DDL:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    for statement in SQLITE_DROP:
        event.listen(table, "before_drop", DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRES_DROP:
        event.listen(table, "before_drop", DDL(statement).execute_if(dialect="postgresql"))


def search_terms(query: str | None) -> list[str]:
    """The words of what staff typed; punctuation and search operators are ignored, never an error."""
    return _WORDS.findall(query or "")[:MAX_TERMS]


def fts5_query(terms: list[str]) -> str:
    # Every term quoted: FTS5 operators in the input become plain words. All terms must match.
    return " ".join('"' + term.replace('"', "") + '"' for term in terms)


def search_condition(id_column: SQLColumnExpression[int], dialect: str,
                     query: str | None) -> ColumnElement[bool] | TextClause | None:
    """A WHERE condition matching cases whose text or place contains every word; None if no words."""
    terms = search_terms(query)
    if not terms:
        return None
    if dialect == "postgresql":
        return text(f"{PG_DOCUMENT_QUALIFIED} @@ plainto_tsquery('{PG_CONFIG}', :search_terms)").bindparams(
            search_terms=" ".join(terms))
    if dialect == "sqlite":
        matches = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :search_terms").bindparams(
            search_terms=fts5_query(terms))
        return id_column.in_(matches)
    return literal(False)


def rebuild_search_index(connection: Connection) -> None:
    """Rebuild the index from the table (after a bulk load that bypassed the triggers)."""
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
    elif connection.dialect.name == "postgresql":
        connection.execute(text(f"REINDEX INDEX {PG_INDEX}"))
