"""References dealt by a keyed permutation of the row id: every id its own number, numbers that say nothing of
order or volume, a key that stays with the database (rotated secrets cannot change it), and the references
given before still working."""
from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import func, select

from civicwatch import create_app
from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus, ReferenceKey
from civicwatch.cases.reference_numbers import public_reference, reference_permutation
from civicwatch.cases.references import permuted_number, shortest_digits_above
from civicwatch.cases.search import searched_reference
from civicwatch.extensions import db
from tests.cases.test_case_queues import listed
from tests.conftest import make_config, on_postgres
from tests.intake.conftest import report_and_read_receipt

KEY = bytes(range(32))


@pytest.mark.parametrize("shortest", [2, 3])
def test_every_id_has_its_own_number_across_the_widths(shortest):
    first_width = 9 * 10 ** (shortest - 1)
    ids = range(1, first_width + 9 * 10 ** shortest + 5)  # the first width, the next, and into the third

    numbers = [permuted_number(KEY, shortest, case_id) for case_id in ids]

    assert len(set(numbers)) == len(numbers)
    assert all(len(str(number)) == shortest for number in numbers[:first_width])
    assert all(len(str(number)) == shortest + 1 for number in numbers[first_width:first_width + 9 * 10 ** shortest])
    assert all(len(str(number)) == shortest + 2 for number in numbers[first_width + 9 * 10 ** shortest:])


def test_ids_beyond_six_digits_get_seven_never_an_error():
    assert [len(str(permuted_number(KEY, 6, case_id))) for case_id in (1, 899_999, 900_000, 900_001, 9_900_001)] \
        == [6, 6, 6, 7, 8]


def test_the_first_numbers_exceed_every_id_there_was():
    assert [shortest_digits_above(largest) for largest in (0, 1, 150, 99_999, 100_000, 4_000_000)] == [6, 6, 6, 6, 7, 8]


def test_another_key_deals_other_numbers():
    other = bytes(range(1, 33))
    assert [permuted_number(KEY, 6, i) for i in range(1, 20)] != [permuted_number(other, 6, i) for i in range(1, 20)]


def test_references_given_from_ids_keep_working_beside_the_new_ones(client, make_case, make_user, signed_in):
    old = [make_case(CaseStatus.INVESTIGATING, text="Beaten at the police post.") for _ in range(3)]
    assert [case.reference for case in old] == [f"CW-2026-{case.id:06d}" for case in old]

    new = [report_and_read_receipt(client).case for _ in range(3)]

    key = db.session.scalars(select(ReferenceKey)).one()
    assert key.shortest_digits == 6
    assert all(re.fullmatch(r"CW-2026-[1-9]\d{5}", case.reference) for case in new), [c.reference for c in new]
    assert {case.reference for case in new}.isdisjoint(case.reference for case in old)
    staff = signed_in(make_user(Role.TRIAGE))
    for case in old + new:
        number = case.reference.rsplit("-", 1)[1]
        for typed in (case.reference, f"cw 2026 {int(number)}", f"CW2026{number}"):
            assert listed(staff, "/staff/cases?" + f"queue=all&q={typed}".replace(" ", "+")) == [case.id], typed


def test_longer_references_are_read_as_written():
    assert searched_reference("cw 2026 4813435") == "CW-2026-4813435"
    assert searched_reference("CW 2026 48134351") == "CW-2026-48134351"
    assert searched_reference("CW-2026-000149") == searched_reference("CW 2026 149") == "CW-2026-000149"


def test_rotated_secrets_leave_the_numbers_alone(client, app: Flask, database_url, tmp_path: Path):
    first = report_and_read_receipt(client).case
    dealt_before = [public_reference(2026, case_id) for case_id in range(first.id + 1, first.id + 50)]
    db.session.commit()

    rotated = create_app(make_config(database_url, tmp_path, SECRET_KEY=secrets.token_urlsafe(48),
                                     CIVICWATCH_ENCRYPTION_KEY=Fernet.generate_key().decode()))
    with rotated.app_context():
        assert [public_reference(2026, case_id) for case_id in range(first.id + 1, first.id + 50)] == dealt_before
        db.session.remove()
        db.engine.dispose()


def test_a_key_drawn_for_a_transaction_rolled_back(app: Flask):
    assert db.session.scalar(select(func.count()).select_from(ReferenceKey)) == 0
    drawn = reference_permutation()
    db.session.rollback()

    if on_postgres():  # drawn and committed on a connection of its own: it stays, the one used from then on
        assert db.session.scalars(select(ReferenceKey.key)).one() == drawn.key
        assert reference_permutation() == drawn
        return
    assert db.session.scalar(select(func.count()).select_from(ReferenceKey)) == 0  # gone with the transaction
    again = reference_permutation()
    db.session.commit()
    assert again != drawn  # a fresh draw, not the key of the rolled-back transaction
    assert reference_permutation() == again
    assert db.session.scalars(select(ReferenceKey.key)).one() == again.key
