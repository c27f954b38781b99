"""MODEL_DIR that cannot hold a model (a file where the folder should be, a mount missing): `train` and `prepare`
say so before minutes of training, with exit 1 and no traceback, and nothing is made active. A model the disk
cannot hold in full leaves nothing behind."""
from __future__ import annotations

import os
import resource
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask

from civicwatch.classify.classifier import model_meta
from civicwatch.classify.corpus import read_examples
from civicwatch.classify.gazetteer import terms_from_taxonomy
from civicwatch.classify.registry import ModelDirError, activate_model, active_model_version, save_model
from civicwatch.classify.training import train_pipeline
from civicwatch.taxonomy.operations import read_taxonomy
from tests.classify.test_classify_cli import run


@pytest.fixture
def model_dir_taken(app: Flask, tmp_path: Path) -> None:
    """Production creates no MODEL_DIR at start: here it names a file."""
    taken = tmp_path / "models-is-a-file"
    taken.write_text("not a folder\n")
    app.config["MODEL_DIR"] = str(taken)


def test_train_refuses_a_model_dir_that_cannot_hold_a_model_before_training(app: Flask, model_dir_taken: None,
                                                                             fixture_corpus: Path,
                                                                             fast_config: Path) -> None:
    result = run(app, "train", "--data", str(fixture_corpus), "--config", str(fast_config))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "MODEL_DIR" in result.output and app.config["MODEL_DIR"] in result.output, result.output
    assert "Training the classifier [" not in result.output  # said at once, not after the training
    assert active_model_version() is None


def test_prepare_refuses_it_too(app: Flask, model_dir_taken: None, monkeypatch: pytest.MonkeyPatch, fixture_corpus: Path,
                                fast_config: Path) -> None:
    import civicwatch.classify.operations as operations

    monkeypatch.setattr(operations, "corpus_files", lambda: [fixture_corpus])  # as in test_classify_cli.py
    monkeypatch.setattr(operations, "CONFIG_PATH", fast_config)
    result = run(app, "prepare")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "MODEL_DIR" in result.output and "Training the classifier [" not in result.output, result.output


@contextmanager
def files_limited_to(size: int) -> Iterator[None]:
    """Writes past `size` bytes fail (EFBIG) in this process, as they would on a full disk."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def test_a_model_that_cannot_be_written_in_full_leaves_nothing_and_says_so(tmp_path: Path, fixture_corpus: Path,
                                                                          fast_config: Path) -> None:
    trained = train_pipeline(read_examples([fixture_corpus]), fast_config)
    meta = {**model_meta(trained), "label_field": "theme", "data": {"files": [], "hash": "0" * 64}}
    terms = terms_from_taxonomy(read_taxonomy())
    root = tmp_path / "models"
    with pytest.raises(ModelDirError, match="cannot hold a new model.*not saved"), files_limited_to(32 * 1024):
        save_model(trained, meta, terms, root, "full-disk", [])
    assert list(root.iterdir()) == []  # no half-written model, under its name or another
    assert save_model(trained, meta, terms, root, "full-disk", []).name == "full-disk"


def test_a_full_disk_when_switching_leaves_the_active_model_as_it_was(app: Flask, active_model: str,
                                                                      trained_model: Path) -> None:
    """Writing the new ACTIVE fails (the disk full): the old model stays active, no half-written pointer file is
    left beside it, and the reason is a ModelDirError (a message for the commands), not a bare OSError."""
    root = Path(app.config["MODEL_DIR"])
    shutil.copytree(trained_model, root / "second")
    before = sorted(path.name for path in root.iterdir())
    with pytest.raises(ModelDirError, match="second"), files_limited_to(0):
        activate_model("second", root)
    assert active_model_version() == active_model
    assert sorted(path.name for path in root.iterdir()) == before


@contextmanager
def umask(mask: int) -> Iterator[None]:
    before = os.umask(mask)
    try:
        yield
    finally:
        os.umask(before)


def test_a_saved_and_activated_model_is_as_readable_as_any_file_its_user_writes(tmp_path: Path, fixture_corpus: Path,
                                                                                fast_config: Path) -> None:
    """The web server may run as another user than the operator who trains: the model directory and ACTIVE get
    the modes the umask gives (not a temporary file's 0700 and 0600, which would leave the server without a model
    and every case in triage)."""
    trained = train_pipeline(read_examples([fixture_corpus]), fast_config)
    meta = {**model_meta(trained), "label_field": "theme", "data": {"files": [], "hash": "0" * 64}}
    root = tmp_path / "models"
    root.mkdir()
    with umask(0o022):
        saved = save_model(trained, meta, terms_from_taxonomy(read_taxonomy()), root, "shared", [])
        activate_model(saved.name, root)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o755
    assert stat.S_IMODE((root / "ACTIVE").stat().st_mode) == 0o644
