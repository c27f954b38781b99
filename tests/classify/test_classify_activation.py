"""Which model routes new cases: `train` makes a model active only when every label it gives is an active theme,
and `civicwatch activate VERSION` makes a saved model active again (a rollback), audited, with the same check."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.classify.registry import active_model_version, read_meta
from civicwatch.extensions import db
from tests.classify.test_classify_damaged_model import DAMAGES


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["civicwatch", *args])


@pytest.fixture
def first(app: Flask, fixture_corpus: Path, fast_config: Path) -> str:
    result = run(app, "train", "--data", str(fixture_corpus), "--config", str(fast_config), "--keep-held-out")
    assert result.exit_code == 0, result.output
    return active_model_version()


def _other_labels(tmp_path: Path) -> Path:
    rows = [{"text": f"{word} report {i}", "category": label} for i in range(12)
            for word, label in (("rude words", "VERBAL"), ("no patrol came", "SERVICE"))]
    path = tmp_path / "other.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _saved(app: Flask) -> set[str]:
    return {p.name for p in Path(app.config["MODEL_DIR"]).iterdir() if p.is_dir() and not p.name.startswith(".")}


def test_a_model_whose_labels_are_not_themes_is_saved_but_does_not_replace_the_active_one(
        app: Flask, first: str, tmp_path: Path, fast_config: Path) -> None:
    result = run(app, "train", "--data", str(_other_labels(tmp_path)), "--label-field", "category",
                 "--config", str(fast_config))
    assert result.exit_code == 0, result.output
    assert active_model_version() == first  # new cases are still routed by a model that answers with themes
    (other,) = _saved(app) - {first}
    assert read_meta(Path(app.config["MODEL_DIR"]) / other)["labels"] == ["SERVICE", "VERBAL"]
    assert f"Model {other} saved, not active" in result.output and "SERVICE, VERBAL" in result.output
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "model.train")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.after["version"] == other and entry.after["activated"] is False


def test_an_earlier_model_is_made_active_again_and_audited(app: Flask, first: str, fixture_corpus: Path,
                                                           fast_config: Path) -> None:
    assert run(app, "train", "--data", str(fixture_corpus), "--config", str(fast_config)).exit_code == 0
    second = active_model_version()
    assert second != first
    result = run(app, "activate", first)
    assert result.exit_code == 0, result.output
    assert active_model_version() == first and f"Model {first} is active" in result.output
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "model.activate")).one()
    assert entry.before == {"version": second} and entry.after == {"version": first}


@pytest.mark.parametrize("version", ["no-such-model", "../models", ".", "", "a" * 300])
def test_activating_what_is_not_a_saved_model_is_refused_clearly(app: Flask, first: str, version: str) -> None:
    result = run(app, "activate", version)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "no saved model" in result.output, result.output
    assert active_model_version() == first


def test_a_model_whose_labels_are_not_themes_is_not_activated(app: Flask, first: str, tmp_path: Path,
                                                              fast_config: Path) -> None:
    run(app, "train", "--data", str(_other_labels(tmp_path)), "--label-field", "category", "--config",
        str(fast_config))
    (other,) = _saved(app) - {first}
    result = run(app, "activate", other)
    assert result.exit_code == 1 and "SERVICE, VERBAL" in result.output, result.output
    assert active_model_version() == first


@pytest.mark.parametrize("damage", ["no pipeline", "no word counts", "meta without version"])
def test_a_saved_model_that_cannot_be_loaded_is_not_made_active(app: Flask, active_model: str, trained_model: Path,
                                                                damage: str) -> None:
    """A model directory cut short (a copy interrupted, a file removed): made active, every new case would wait in
    the triage queue for a model no process can load. It is refused, and the active model stays."""
    root = Path(app.config["MODEL_DIR"])
    shutil.copytree(trained_model, root / "damaged")
    DAMAGES[damage](root / "damaged")
    result = run(app, "activate", "damaged")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "cannot be" in result.output and "damaged" in result.output, result.output
    assert active_model_version() == active_model
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "model.activate")) is None
