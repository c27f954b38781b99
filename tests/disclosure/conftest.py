"""A case with a complainant's phone and email, and the staff around it: one of each role, an investigator of
another body, and two identity custodians (four eyes)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from civicwatch.accounts.models import Role, User, new_session_token
from civicwatch.accounts.passwords import hash_password, needs_rehash
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from tests.conftest import PASSWORD, body_by_code
from tests.factories import create_case

PHONE = "+23276555123"
PHONE_DIGITS = "76555123"
EMAIL = "fatmata.witness@example.org"
REASON = "The investigator must call the complainant to arrange a witness statement."


@dataclass
class Staff:
    admin: User
    triage: User
    investigator: User
    other_investigator: User  # of another body
    auditor: User
    custodian: User
    second_custodian: User


_hashes: list[str] = []


def shared_password_hash() -> str:
    """One hash for all the staff of these tests (argon2 takes most of a second), one per hashing setting (see
    the cheap_password_hashing fixture), so that a sign-in never has to rehash it."""
    current = [password_hash for password_hash in _hashes if not needs_rehash(password_hash)]
    if not current:
        current.append(hash_password(PASSWORD))
        _hashes.extend(current)
    return current[0]


def add_user(name: str, role: Role, body: str | None = None, custodian: bool = False) -> User:
    user = User(email=f"{name}@example.org", name=name, role=role, password_hash=shared_password_hash(),
                body=body_by_code(body) if body else None, session_token=new_session_token(), active=True,
                totp_failures=0, identity_custodian=custodian)
    db.session.add(user)
    return user


@pytest.fixture
def staff(app) -> Staff:
    people = Staff(
        admin=add_user("admin", Role.ADMIN), triage=add_user("triage", Role.TRIAGE),
        investigator=add_user("investigator", Role.INVESTIGATOR, "police_oversight"),
        other_investigator=add_user("other", Role.INVESTIGATOR, "human_rights_commission"),
        auditor=add_user("auditor", Role.AUDITOR), custodian=add_user("custodian", Role.AUDITOR, custodian=True),
        second_custodian=add_user("second.custodian", Role.ADMIN, custodian=True))
    db.session.commit()
    return people


@pytest.fixture
def vault_case(app, clock) -> Case:
    return create_case(CaseStatus.INVESTIGATING, contact={"phone": PHONE, "email": EMAIL})
