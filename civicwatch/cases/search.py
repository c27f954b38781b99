"""Full-text search over case text and the messages of each case: SQLite FTS5 or PostgreSQL GIN indexes, the
same query interface.

The structures are created from the `cases` table's DDL events, so `db.create_all()` builds them; the
Alembic migration must run the same statements (`search_ddl(dialect)`). SQLite keeps its index in step
with triggers; PostgreSQL indexes an expression, which is always in step with the row.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import (
    DDL,
    ColumnElement,
    Connection,
    SQLColumnExpression,
    Table,
    TextClause,
    event,
    literal,
    or_,
    text,
)

from civicwatch.cases.references import format_reference

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

# The messages of a case (to and from the complainant, staff notes), searched the same way.
MESSAGES_FTS_TABLE = "case_messages_fts"
MESSAGES_PG_INDEX = "ix_case_messages_fts_body"
MESSAGES_PG_DOCUMENT = f"to_tsvector('{PG_CONFIG}', coalesce(body, ''))"
MESSAGES_SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {MESSAGES_FTS_TABLE} USING fts5(body, content='case_messages', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER {MESSAGES_FTS_TABLE}_after_insert AFTER INSERT ON case_messages BEGIN "
    f"INSERT INTO {MESSAGES_FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END",
    f"CREATE TRIGGER {MESSAGES_FTS_TABLE}_after_delete AFTER DELETE ON case_messages BEGIN "
    f"INSERT INTO {MESSAGES_FTS_TABLE}({MESSAGES_FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); END",
    f"CREATE TRIGGER {MESSAGES_FTS_TABLE}_after_update AFTER UPDATE OF body ON case_messages BEGIN "
    f"INSERT INTO {MESSAGES_FTS_TABLE}({MESSAGES_FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); "
    f"INSERT INTO {MESSAGES_FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END",
)
MESSAGES_SQLITE_DROP = (f"DROP TABLE IF EXISTS {MESSAGES_FTS_TABLE}",)
MESSAGES_POSTGRES_DDL = (f"CREATE INDEX {MESSAGES_PG_INDEX} ON case_messages USING gin ({MESSAGES_PG_DOCUMENT})",)
MESSAGES_POSTGRES_DROP = (f"DROP INDEX IF EXISTS {MESSAGES_PG_INDEX}",)

_WORDS = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def search_ddl(dialect: str) -> tuple[str, ...]:
    """The statements that create the search structures after the `cases` table exists."""
    return {"sqlite": SQLITE_DDL, "postgresql": POSTGRES_DDL}.get(dialect, ())


def install_search_structures(table: Table, messages: bool = False) -> None:
    """Create (and drop) the search structures together with `table` (`cases`, or `case_messages` when
    `messages`) when the metadata builds it."""
    sqlite, postgres = (MESSAGES_SQLITE_DDL, MESSAGES_POSTGRES_DDL) if messages else (SQLITE_DDL, POSTGRES_DDL)
    sqlite_drop, postgres_drop = ((MESSAGES_SQLITE_DROP, MESSAGES_POSTGRES_DROP) if messages
                                  else (SQLITE_DROP, POSTGRES_DROP))
    for statement in sqlite:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in postgres:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    for statement in sqlite_drop:
        event.listen(table, "before_drop", DDL(statement).execute_if(dialect="sqlite"))
    for statement in postgres_drop:
        event.listen(table, "before_drop", DDL(statement).execute_if(dialect="postgresql"))


REFERENCE_PREFIX = "CW-"


def search_text(query: str | None) -> str:
    """What staff typed, trimmed and without format characters: a reference copied from a message or a PDF often
    carries zero-width spaces or direction marks that would keep it from matching."""
    return "".join(ch for ch in (query or "") if unicodedata.category(ch) != "Cf").strip()


# A reference as a complainant reads it out or texts it: spaced, without dashes or leading zeros (CW 2026 149, of
# a case numbered from its id; the numbers dealt since have six digits or more and never start with 0).
_LOOSE_REFERENCE = re.compile(r"CW\s*[-/.]?\s*(\d{4})\s*[-/.]?\s*(\d{1,12})", re.IGNORECASE)


def searched_reference(text: str) -> str | None:
    """The case reference searched for (`text` from `search_text`), written as references are, or None when `text`
    is words to look up."""
    if loose := _LOOSE_REFERENCE.fullmatch(text):
        return format_reference(int(loose.group(1)), int(loose.group(2)))
    return text.upper() if text.upper().startswith(REFERENCE_PREFIX) else None


def search_terms(query: str | None) -> list[str]:
    """The words of what staff typed; punctuation and search operators are ignored, never an error."""
    return _WORDS.findall(query or "")[:MAX_TERMS]


def fts5_query(terms: list[str]) -> str:
    # Every term quoted: FTS5 operators in the input become plain words. All terms must match.
    return " ".join('"' + term.replace('"', "") + '"' for term in terms)


def search_condition(id_column: SQLColumnExpression[int], dialect: str,
                     query: str | None) -> ColumnElement[bool] | TextClause | None:
    """A WHERE condition matching cases whose text or place, or one of whose messages, contains every word;
    None if no words. It only narrows the query it joins: who may see which case stays the query's business."""
    terms = search_terms(query)
    if not terms:
        return None
    if dialect == "postgresql":
        words = " ".join(terms)
        in_case = text(f"{PG_DOCUMENT_QUALIFIED} @@ plainto_tsquery('{PG_CONFIG}', :search_terms)").bindparams(
            search_terms=words)
        in_messages = text(f"SELECT case_id FROM case_messages WHERE {MESSAGES_PG_DOCUMENT} "
                           f"@@ plainto_tsquery('{PG_CONFIG}', :message_terms)").bindparams(message_terms=words)
        return or_(in_case, id_column.in_(in_messages))
    if dialect == "sqlite":
        matches = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :search_terms").bindparams(
            search_terms=fts5_query(terms))
        in_messages = text(
            f"SELECT case_id FROM case_messages WHERE id IN (SELECT rowid FROM {MESSAGES_FTS_TABLE} "
            f"WHERE {MESSAGES_FTS_TABLE} MATCH :message_terms)").bindparams(message_terms=fts5_query(terms))
        return or_(id_column.in_(matches), id_column.in_(in_messages))
    return literal(False)


def rebuild_search_index(connection: Connection) -> None:
    """Rebuild the indexes from the tables (after a bulk load that bypassed the triggers)."""
    if connection.dialect.name == "sqlite":
        for table in (FTS_TABLE, MESSAGES_FTS_TABLE):
            connection.execute(text(f"INSERT INTO {table}({table}) VALUES ('rebuild')"))
    elif connection.dialect.name == "postgresql":
        for index in (PG_INDEX, MESSAGES_PG_INDEX):
            connection.execute(text(f"REINDEX INDEX {index}"))


def purge_deleted_terms(connection: Connection) -> None:
    """Merge the SQLite indexes' segments, so that the terms of deleted or changed rows leave the file (FTS5 only
    marks them deleted until its segments merge). PostgreSQL's indexes follow the row."""
    if connection.dialect.name == "sqlite":
        for table in (FTS_TABLE, MESSAGES_FTS_TABLE):
            connection.execute(text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))
