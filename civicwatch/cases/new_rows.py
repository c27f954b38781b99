"""A new case's row written by one INSERT ... RETURNING instead of a flush of the unit of work.

A flush of a new case goes through the unit of work for its mapper and its many relationships: on a web report
it cost about 2.5 ms of CPU, several times the INSERT itself. A case made in this transaction has no row to lock
and nothing to order before it but the rows it refers to, which are stored already.
"""
from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import Insert, Table, insert, inspect
from sqlalchemy.orm import MANYTOONE, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from civicwatch.cases.models import Case
from civicwatch.extensions import db

_CASES = cast(Table, Case.__table__)


@functools.cache
def _insert_case(columns: tuple[str, ...]) -> Insert:
    # Built once for each set of columns given (a few: the channels set the same ones). The columns not given get
    # their defaults, which come back with the id.
    given = set(columns)
    return insert(_CASES).returning(*(column for column in _CASES.c if column.key not in given))


def insert_new_case(case: Case) -> None:
    """Store a case made in this transaction and add it to the session, persistent, as a flush of it would
    (defaults and id read back; related rows that hang off it, such as the complainant's identity, are written by
    the next flush). A case that refers to a row not stored yet, or is in the session already, is flushed."""
    session = db.session()
    state = inspect(case)
    if not state.transient:
        _flush(case)
        return
    mapper = state.mapper
    values: dict[str, Any] = {}  # column name: value
    attributes: dict[str, str] = {}  # column name: attribute
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        if column.table is _CASES:
            attributes[column.key] = attribute.key
            if attribute.key in state.dict and not column.primary_key:
                values[column.key] = state.dict[attribute.key]
    after: dict[str, Any] = {}  # relationship: the rows that hang off the case, written after it
    for relationship in mapper.relationships:
        if relationship.key not in state.dict:
            continue
        target = state.dict[relationship.key]
        if relationship.direction is not MANYTOONE:
            if target:
                after[relationship.key] = target
            continue
        if target is not None and not inspect(target).has_identity:  # a flush orders the two
            _flush(case)
            return
        for local, remote in relationship.local_remote_pairs or ():
            values[str(local.key)] = None if target is None else getattr(
                target, relationship.mapper.get_property_by_column(remote).key)
    row = session.execute(_insert_case(tuple(sorted(values))), values).one()
    for name, value in row._mapping.items():
        set_committed_value(case, attributes[str(name)], value)
    for key in after:
        del state.dict[key]
    make_transient_to_detached(case)
    session.add(case)
    for key, value in after.items():
        # Known to be empty (the row is new), so that setting it loads nothing; set, the rows are written by the
        # next flush with the case's id.
        set_committed_value(case, key, [] if mapper.relationships[key].uselist else None)
        setattr(case, key, list(value) if mapper.relationships[key].uselist else value)


def _flush(case: Case) -> None:
    db.session.add(case)
    db.session.flush()
