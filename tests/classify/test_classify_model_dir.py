"""MODEL_DIR that cannot hold a model (a file where the folder should be, a mount missing): `train` and `prepare`
say so before minutes of training, with exit 1 and no traceback, and nothing is made active."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from civicwatch.classify.registry import active_model_version
from tests.classify.test_classify_cli import run


@pytest.fixture(autouse=True)
def model_dir_taken(app: Flask, tmp_path: Path) -> None:
    """Production creates no MODEL_DIR at start: here it names a file."""
    taken = tmp_path / "models-is-a-file"
    taken.write_text("not a folder\n")
    app.config["MODEL_DIR"] = str(taken)


def test_train_refuses_a_model_dir_that_cannot_hold_a_model_before_training(app: Flask, fixture_corpus: Path,
                                                                             fast_config: Path) -> None:
    result = run(app, "train", "--data", str(fixture_corpus), "--config", str(fast_config))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "MODEL_DIR" in result.output and app.config["MODEL_DIR"] in result.output, result.output
    assert "Training the classifier [" not in result.output  # said at once, not after the training
    assert active_model_version() is None


def test_prepare_refuses_it_too(app: Flask, monkeypatch: pytest.MonkeyPatch, fixture_corpus: Path,
                                fast_config: Path) -> None:
    import civicwatch.classify.operations as operations

    monkeypatch.setattr(operations, "corpus_files", lambda: [fixture_corpus])  # as in test_classify_cli.py
    monkeypatch.setattr(operations, "CONFIG_PATH", fast_config)
    result = run(app, "prepare")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "MODEL_DIR" in result.output and "Training the classifier [" not in result.output, result.output
