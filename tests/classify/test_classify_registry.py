"""The active model as the app reads it: kept between cases, and replaced as soon as another one is activated."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from flask import Flask

from civicwatch.classify.classifier import ModelLoadError
from civicwatch.classify.files import META_FILE
from civicwatch.classify.registry import activate_model, current_classifier
from tests.classify.fixtures import install_model


def _copy_as(source: Path, root: Path, version: str) -> None:
    shutil.copytree(source, root / version)
    meta = json.loads((root / version / META_FILE).read_text())
    (root / version / META_FILE).write_text(json.dumps({**meta, "version": version}))


def test_the_active_model_is_kept_between_cases(app: Flask, trained_model: Path) -> None:
    version = install_model(app, trained_model)
    first = current_classifier()
    assert first is not None and first.version == version
    assert current_classifier() is first


def test_another_activated_model_answers_the_next_case(app: Flask, trained_model: Path) -> None:
    root = Path(app.config["MODEL_DIR"])
    install_model(app, trained_model)
    assert current_classifier() is not None
    _copy_as(trained_model, root, "second")
    activate_model("second", root)
    second = current_classifier()
    assert second is not None and second.version == "second"
    assert second.classify("The police beat my brother in Kenema").model_version == "second"


def test_a_removed_model_directory_is_a_model_that_cannot_be_loaded(app: Flask, trained_model: Path) -> None:
    """Not "no model": ACTIVE still names it, and routing logs why every case waits in the triage queue."""
    root = Path(app.config["MODEL_DIR"])
    install_model(app, trained_model)
    _copy_as(trained_model, root, "second")
    activate_model("second", root)
    assert current_classifier() is not None
    shutil.rmtree(root / "second")
    with pytest.raises(ModelLoadError, match="names no saved model"):
        current_classifier()
