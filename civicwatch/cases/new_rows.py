"""A new case's row written by one INSERT ... RETURNING instead of a flush of the unit of work.

A flush of a new case goes through the unit of work for its mapper and its many relationships: on a web report
it cost about 2.5 ms of CPU, several times the INSERT itself. A case made in this transaction has no row to lock
and nothing to order before it but the rows it refers to, which are stored already.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Insert, Table, insert, inspect
from sqlalchemy.orm import MANYTOONE, ONETOMANY
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from civicwatch.cases.models import Case
from civicwatch.database import add_inserted
from civicwatch.extensions import db

_CASES = cast(Table, Case.__table__)


@functools.cache
def _insert_case(columns: tuple[str, ...]) -> Insert:
    # Built once for each set of columns given (a few: the channels set the same ones). The columns not given get
    # their defaults, which come back with the id.
    given = set(columns)
    return insert(_CASES).returning(*(column for column in _CASES.c if column.key not in given))


@dataclass(frozen=True)
class _Shape:
    """What insert_new_case reads of the case's mapper, found once (walking its attributes cost more than the INSERT)."""

    columns: tuple[tuple[str, str], ...]  # (attribute, column) of every column but the primary key
    attribute_of: dict[str, str]  # column: attribute
    many_to_one: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # relationship, ((column, target's attribute))
    others: dict[str, bool]  # the other relationships: whether each is a collection
    # The one-to-one rows that hang off a case (its complainant's identity) and have no relationship of their own:
    # relationship, ((the case's attribute, the row's column)) of the foreign key
    single: dict[str, tuple[tuple[str, str], ...]]


@functools.cache
def _shape() -> _Shape:
    mapper = inspect(Case)
    columns = [(attribute.key, attribute.columns[0]) for attribute in mapper.column_attrs
               if attribute.columns[0].table is _CASES]
    many_to_one = tuple(
        (relationship.key, tuple((str(local.key), relationship.mapper.get_property_by_column(remote).key)
                                 for local, remote in relationship.local_remote_pairs or ()))
        for relationship in mapper.relationships if relationship.direction is MANYTOONE)
    return _Shape(
        columns=tuple((key, column.key) for key, column in columns if not column.primary_key),
        attribute_of={column.key: key for key, column in columns}, many_to_one=many_to_one,
        others={relationship.key: bool(relationship.uselist) for relationship in mapper.relationships
                if relationship.direction is not MANYTOONE},
        single={relationship.key: tuple((mapper.get_property_by_column(local).key, str(remote.key))
                                        for local, remote in relationship.local_remote_pairs or ())
                for relationship in mapper.relationships
                if relationship.direction is ONETOMANY and not relationship.uselist
                and not relationship.mapper.relationships})


def insert_new_case(case: Case) -> None:
    """Store a case made in this transaction and add it to the session, persistent, as a flush of it would
    (defaults and id read back; related rows that hang off it, such as the complainant's identity, are written by
    the next flush). A case that refers to a row not stored yet, or is in the session already, is flushed."""
    state = inspect(case)
    if not state.transient:
        _flush(case)
        return
    shape, given = _shape(), state.dict
    values = {column: given[key] for key, column in shape.columns if key in given}
    references: dict[str, object] = {}  # column: the id of the row a many-to-one relationship set names
    for key, pairs in shape.many_to_one:
        if key not in given:
            continue
        target = given[key]
        if target is not None and not inspect(target).has_identity:  # a flush orders the two
            _flush(case)
            return
        for column, attribute in pairs:
            references[column] = None if target is None else getattr(target, attribute)
    values.update(references)
    row = db.session.connection().execute(_insert_case(tuple(sorted(values))), values).one()
    after = {key: given.pop(key) for key in shape.others if given.get(key)}  # rows that hang off it, written next
    # The ids written for its relationships, as a flush leaves them: reading case.body_id would otherwise load them.
    for name, value in (*row._mapping.items(), *references.items()):
        set_committed_value(case, shape.attribute_of[str(name)], value)
    add_inserted(db.session(), case)
    for key, value in after.items():
        if key in shape.single and _insert_single(case, shape.single[key], value):
            set_committed_value(case, key, value)
            continue
        # Known to be empty (the row is new), so that setting it loads nothing; set, the rows are written by the
        # next flush with the case's id.
        collection = shape.others[key]
        set_committed_value(case, key, [] if collection else None)
        setattr(case, key, list(value) if collection else value)


def _insert_single(case: Case, pairs: tuple[tuple[str, str], ...], row: object) -> bool:
    """Write a new row that hangs off the case just written (its complainant's identity) by an INSERT built once,
    and add it to the session as a flush would: otherwise the next flush goes through the unit of work of the case
    and its many relationships for it (on a texted report, about as much CPU as the rest of its storing). False,
    with nothing written, for a row that is not new."""
    state = instance_state(row)
    if not state.transient:
        return False
    table = cast(Table, state.mapper.local_table)
    given = state.dict
    values = {column.key: given[attribute.key] for attribute in state.mapper.column_attrs
              for column in attribute.columns if attribute.key in given and column.table is table}
    values.update({column: getattr(case, attribute) for attribute, column in pairs})
    written = db.session.connection().execute(_insert_row(table, tuple(sorted(values))), values).one()
    for name, value in (*written._mapping.items(), *((column, values[column]) for _, column in pairs)):
        set_committed_value(row, state.mapper.get_property_by_column(table.c[str(name)]).key, value)
    add_inserted(db.session(), row)
    return True


@functools.cache
def _insert_row(table: Table, columns: tuple[str, ...]) -> Insert:
    given = set(columns)
    return insert(table).returning(*(column for column in table.c if column.key not in given))


def _flush(case: Case) -> None:
    db.session.add(case)
    db.session.flush()
