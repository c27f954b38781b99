"""Where trained models live and which one is active: MODEL_DIR/ACTIVE names a versioned model directory.

Every process of a deployment (web workers, `deliver` workers, commands, on one host or several sharing
MODEL_DIR) reads the models from MODEL_DIR, so the pointer lives beside them: a pointer kept elsewhere (the
database) could name a model a host does not have. ACTIVE is replaced atomically (readers see the old name or the
new one) and durably (written to its own file, synced, renamed, the folder synced: see durable.py); each process
notices the new file on its next case (one stat). A model directory is complete and synced before its name
appears.

Making a model active is audited, and the audit entry commits first: `activate_model` is called after the commit
(operations.switch_active_model), so a refused commit leaves the model before active, and a switch that then fails
is recorded by an entry of its own. A process that dies between the commit and the switch leaves the log naming
another model than ACTIVE: the `deliver` worker records the one really active
(operations.correct_active_model_log). ACTIVE that is there but cannot be read, or names no saved model, is a
ModelLoadError, as a damaged model is: routing sends each case to the triage queue and logs why.
"""
from __future__ import annotations

import datetime as dt
import errno
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from civicwatch.classify.classifier import Classifier, ModelLoadError, load_classifier
from civicwatch.classify.files import (
    ACTIVE_FILE,
    COMPLAINT_WORDS_FILE,
    CONFIG_FILE,
    GAZETTEER_FILE,
    META_FILE,
    PIPELINE_DIR,
    TRAINED_TEXTS_FILE,
    WORDS_FILE,
)
from civicwatch.classify.gazetteer import GazetteerTerms
from civicwatch.classify.queries import gazetteer_terms
from civicwatch.classify.smoothed import HEAD_FILE, save_head
from civicwatch.classify.tfidf import save_tfidf_head
from civicwatch.classify.training import TrainedPipeline
from civicwatch.durable import sync_file, sync_folder, sync_tree
from civicwatch.errors import DomainError
from civicwatch.taxonomy.cache import cached

_OVERRIDE = "civicwatch.classifier"
# The active model of each model root, kept while its ACTIVE file is the same file (activate_model replaces it,
# which gives it a new inode): one stat per case instead of reading and resolving the pointer.
_active: dict[str, tuple[tuple[int, int, int], Path, Classifier]] = {}


class ModelDirError(DomainError):
    """MODEL_DIR cannot hold a new model: not a folder, not writable, or full."""


def model_root() -> Path:
    return Path(current_app.config["MODEL_DIR"])


def _model_dir_error(root: Path, exc: OSError, after: str = "") -> ModelDirError:
    reason = "it is a file, not a folder" if root.is_file() else exc.strerror or type(exc).__name__
    return ModelDirError(f"MODEL_DIR {root} cannot hold a new model ({reason}){after}; set CIVICWATCH_MODEL_DIR "
                         "to a folder this user can write to, with room.")


def check_model_root(root: Path) -> None:
    """Before minutes of training: a model directory can be made under `root` (ModelDirError says why not)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = _unique(root, ".writable")
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise _model_dir_error(root, exc) from exc


def _unique(root: Path, prefix: str, suffix: str = "") -> Path:
    """A name under `root` no other process picks. Made with mkdir or open, not tempfile, so that it gets the modes
    the umask gives: the web server may run as another user than the command that trains or activates."""
    return root / f"{prefix}.{os.getpid()}.{secrets.token_hex(6)}{suffix}"


def is_model_name(version: str) -> bool:
    """A name of a directory of MODEL_DIR, never a path out of it."""
    return bool(version) and not version.startswith(".") and Path(version).name == version and "\0" not in version


def pointed_model(root: Path) -> str | None:
    """The version ACTIVE names under `root`; None without ACTIVE. ModelLoadError when ACTIVE is there but cannot be
    read or names no saved model (emptied by a power loss, damaged, or its model removed)."""
    try:
        version = (root / ACTIVE_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"the {ACTIVE_FILE} file of the models folder cannot be read "
                             f"({getattr(exc, 'strerror', None) or type(exc).__name__})") from exc
    if not version:
        raise ModelLoadError(f"the {ACTIVE_FILE} file of the models folder is empty")
    if not is_model_name(version) or not (root / version).is_dir():
        raise ModelLoadError(f"the {ACTIVE_FILE} file of the models folder names no saved model")
    return version


def active_model_version(root: Path | None = None) -> str | None:
    """The active model's version; None without one, or when ACTIVE cannot be used (current_classifier says why)."""
    try:
        return pointed_model(root if root is not None else model_root())
    except ModelLoadError:
        return None


def active_model_path(root: Path | None = None) -> Path | None:
    root = root if root is not None else model_root()
    version = active_model_version(root)
    return root / version if version else None


def new_version(data_hash: str, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%d-%H%M%S}-{data_hash[:8]}"


def save_model(trained: TrainedPipeline, meta: dict[str, Any], terms: GazetteerTerms, root: Path,
               version: str, trained_text_hashes: list[str]) -> Path:
    """Write a complete model directory under `root`; it appears under its final name only when complete.
    ModelDirError when it cannot be written (the disk full): nothing of it is left."""
    try:
        return _save_model(trained, meta, terms, root, version, trained_text_hashes)
    except OSError as exc:
        raise _model_dir_error(root, exc, ": the model was not saved") from exc


def _save_model(trained: TrainedPipeline, meta: dict[str, Any], terms: GazetteerTerms, root: Path,
                version: str, trained_text_hashes: list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    # A folder of its own: another training that ends in the same second, on the same data, writes beside it.
    staging = _unique(root, f".{version}", ".partial")
    staging.mkdir()
    try:
        trained.nlp.to_disk(staging / PIPELINE_DIR)
        _leave_out_strings(staging / PIPELINE_DIR / "vocab" / "strings.json", trained.complaint_strings)
        if trained.head is not None:
            save_head(trained.head, staging / HEAD_FILE)
        if trained.tfidf_head is not None:
            save_tfidf_head(trained.tfidf_head, staging)
        _write_json(staging / GAZETTEER_FILE, terms.as_dict())
        _write_json(staging / WORDS_FILE, dict(sorted(trained.word_counts.items())))
        _write_json(staging / COMPLAINT_WORDS_FILE, trained.complaint_word_ids)
        (staging / CONFIG_FILE).write_text(trained.config_text, encoding="utf-8")
        (staging / TRAINED_TEXTS_FILE).write_text("\n".join(sorted(trained_text_hashes)) + "\n", encoding="utf-8")
        final = _move_into_place(staging, meta, root, version)
        sync_folder(root)
        return final
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _move_into_place(staging: Path, meta: dict[str, Any], root: Path, version: str) -> Path:
    """Rename the complete model to `version`, or `version-2`... when that name is taken, even by a model saved
    meanwhile (a directory never replaces a model: rename refuses a folder that is not empty)."""
    suffix = 1
    while True:
        final = root / (version if suffix == 1 else f"{version}-{suffix}")
        suffix += 1
        if final.exists():
            continue
        _write_json(staging / META_FILE, {**meta, "version": final.name})
        sync_tree(staging)
        try:
            staging.rename(final)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            continue
        return final


def _leave_out_strings(path: Path, left_out: frozenset[str]) -> None:
    """Rewrite a saved string store without `left_out` (complaints' words: see TrainedPipeline)."""
    if left_out:
        kept = [text for text in json.loads(path.read_text(encoding="utf-8")) if text not in left_out]
        path.write_text(json.dumps(kept), encoding="utf-8")


def activate_model(version: str, root: Path | None = None) -> None:
    """Point ACTIVE at a model directory, atomically (readers see the old or the new name, never half) and durably
    (after a power loss, the old name or the new one). ModelDirError when it cannot."""
    root = root if root is not None else model_root()
    if not (root / version / META_FILE).is_file():
        raise FileNotFoundError(f"no model {version}")
    temporary = _unique(root, f".{ACTIVE_FILE}")  # its own name, even beside a process of the same pid elsewhere
    try:
        with temporary.open("x", encoding="utf-8") as pointer:
            pointer.write(version + "\n")
        sync_file(temporary)
        os.replace(temporary, root / ACTIVE_FILE)
        sync_folder(root)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise _model_dir_error(root, exc, f": the model {version} was not made active") from exc


def read_meta(path: Path) -> dict[str, Any]:
    return json.loads((path / META_FILE).read_text(encoding="utf-8"))


def current_classifier() -> Classifier | None:
    """The active model, loaded once per process, reading places and actors with the database's terms.

    None when no model is active; ModelLoadError when ACTIVE or the model it names cannot be used. Tests swap in
    their own with `use_classifier`.
    """
    if _OVERRIDE in current_app.extensions:
        return current_app.extensions[_OVERRIDE]
    classifier = _active_classifier(model_root())
    if classifier is None:
        return None
    return classifier.with_terms(cached("gazetteer_terms", gazetteer_terms))


def _active_classifier(root: Path) -> Classifier | None:
    """The classifier ACTIVE names under `root`, read again only when ACTIVE was replaced or its model directory
    is gone. ModelLoadError when ACTIVE or the model it names cannot be used."""
    try:
        status = os.stat(root / ACTIVE_FILE)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ModelLoadError(f"the {ACTIVE_FILE} file of the models folder cannot be read ({exc.strerror})") from exc
    signature = (status.st_ino, status.st_mtime_ns, status.st_size)
    known = _active.get(str(root))
    if known is not None and known[0] == signature and known[1].is_dir():
        return known[2]
    version = pointed_model(root)
    if version is None:
        return None
    path = root / version
    classifier = load_classifier(path)
    _active.clear()  # one model root at a time, as load_classifier keeps one model
    _active[str(root)] = (signature, path, classifier)
    return classifier


def use_classifier(app: Flask, classifier: Classifier | None) -> None:
    """Make `current_classifier()` answer with this classifier in this app (None: as if no model)."""
    app.extensions[_OVERRIDE] = classifier


def stop_using_classifier(app: Flask) -> None:
    app.extensions.pop(_OVERRIDE, None)


def trained_text_hashes(path: Path) -> frozenset[str]:
    try:
        return frozenset((path / TRAINED_TEXTS_FILE).read_text(encoding="utf-8").split())
    except OSError:
        return frozenset()


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
