"""Fixtures for the pattern tests: stored cases and signed-in staff browsers."""
from __future__ import annotations

import pytest

from tests.factories import create_case, staff_client


@pytest.fixture
def make_case(app):
    return create_case


@pytest.fixture
def signed_in(app):
    return lambda user: staff_client(app, user)
