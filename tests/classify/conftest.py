from __future__ import annotations

from pathlib import Path

import pytest

from tests.classify.fixtures import fixture_examples, install_model, train_fixture_model, write_fast_config, write_jsonl


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained once per test session on the fixture corpus (a few seconds)."""
    return train_fixture_model(tmp_path_factory.mktemp("fixture-model"))


@pytest.fixture
def active_model(app, trained_model: Path) -> str:
    """The fixture model, active in this test's app. Returns its version."""
    return install_model(app, trained_model)


@pytest.fixture
def fixture_corpus(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "fixture.jsonl", fixture_examples())


@pytest.fixture
def fast_config(tmp_path: Path) -> Path:
    return write_fast_config(tmp_path / "fast.cfg")
