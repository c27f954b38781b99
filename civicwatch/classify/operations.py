"""Training a model from the corpus (or other files) plus staff corrections, and making it active."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import spacy
from sqlalchemy import Table, bindparam, false, text, update

from civicwatch.audit.operations import record_audit
from civicwatch.classify.classifier import Classifier, ModelLoadError, model_meta
from civicwatch.classify.corpus import (
    DEFAULT_LABEL_FIELD,
    HELD_OUT_PERCENT,
    CorpusError,
    LabelledText,
    corpus_files,
    data_hash,
    read_examples,
    split_examples,
)
from civicwatch.classify.evaluation import evaluate_classifier
from civicwatch.classify.files import META_FILE
from civicwatch.classify.models import LabelledExample
from civicwatch.classify.queries import (
    MODEL_SWITCH_FAILED,
    all_theme_corrections,
    gazetteer_terms,
    model_switch_entries,
    theme_codes,
)
from civicwatch.classify.registry import (
    ModelDirError,
    activate_model,
    active_model_version,
    check_model_root,
    is_model_name,
    model_root,
    new_version,
    read_meta,
    save_model,
)
from civicwatch.classify.text import split_key
from civicwatch.classify.training import CONFIG_PATH, Progress, train_pipeline
from civicwatch.database import utcnow
from civicwatch.errors import DomainError
from civicwatch.extensions import db

log = logging.getLogger(__name__)


@dataclass
class TrainingResult:
    version: str
    path: Path
    meta: dict[str, Any]
    corrections_used: int = 0
    notes: list[str] = field(default_factory=list)
    activated: bool = False  # to be made active once the caller has committed (switch_active_model)


def labels_not_themes(labels: Iterable[str]) -> list[str]:
    """The labels of a model that name no theme of the taxonomy, sorted: every case it read as one of them would
    wait in the triage queue, so such a model is never made active."""
    known = theme_codes()
    return sorted(label for label in labels if label not in known)


def _not_themes_note(labels: list[str]) -> str:
    return (f"its labels {', '.join(labels)} are not themes of the taxonomy, so it would send every case it reads "
            "as one of them to the triage queue (add them as themes with load-taxonomy first)")


def activate_saved_model(version: str, user: Any = None) -> str | None:
    """Check that a model saved earlier can be the active one (a rollback, or a model trained on other labels once
    they are themes) and record its activation. Returns the version active before. The caller commits, then
    calls `switch_active_model`: the audit entry is written before the switch it records."""
    root = model_root()
    if not is_model_name(version) or not _is_file(root / version / META_FILE):
        raise DomainError(f"There is no saved model {version[:80]!r} in {root}.")
    try:
        labels = read_meta(root / version)["labels"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DomainError(f"The model {version} cannot be read ({type(exc).__name__}); train one again.") from exc
    strangers = labels_not_themes(labels)
    if strangers:
        raise DomainError(f"The model {version} was not made active: {_not_themes_note(strangers)}.")
    try:  # loaded once here, so that no process finds the active model unusable (and every case sent to triage)
        Classifier.load(root / version)
    except ModelLoadError as exc:
        raise DomainError(f"The model {version} cannot be loaded ({exc}); it was not made active.") from exc
    before = active_model_version(root)
    record_audit(user, "model.activate", None, before={"version": before}, after={"version": version})
    return before


def switch_active_model(version: str, user: Any = None) -> None:
    """Point ACTIVE at `version`, once the audit entry of its activation (or training) has committed. When the
    switch fails, an audit entry says so (the caller commits it) and ModelDirError is raised again."""
    try:
        activate_model(version)
    except ModelDirError:
        record_audit(user, "model.activate_failed", None, after={"version": version})
        raise


# An activation commits its entry, then replaces ACTIVE within a second or two (the file and its folder synced):
# an entry younger than this may be one whose switch is under way in another process.
SWITCH_UNDER_WAY = dt.timedelta(minutes=1)


def logged_active_model() -> tuple[str | None, dt.datetime | None]:
    """The model the audit log says is active, and when it said so; (None, None) when it names none (a model
    installed by hand, or none yet)."""
    claimed: str | None = None
    claimed_before: str | None = None
    when: dt.datetime | None = None
    for entry in model_switch_entries():
        after = entry.after or {}
        if entry.action == "model.train" and not after.get("activated"):
            continue
        if entry.action == MODEL_SWITCH_FAILED:
            claimed = claimed_before
        else:
            claimed_before, claimed = claimed, after.get("version")
        when = entry.created_at
    return claimed, when if claimed is not None else None


def correct_active_model_log() -> str:
    """Record which model is active when the audit log names another: an activation or training that died between
    its entry's commit and the switch of ACTIVE (or a switch that went through while its failure was recorded).
    ACTIVE is what routes cases, so the log is brought to it, never the reverse: no model is switched behind the
    operator's back. The caller commits; returns a line to print (empty when the two agree)."""
    if _log_disagreement() is None:
        return ""
    _one_correction_at_a_time()
    disagreement = _log_disagreement()  # read again under the lock: another worker may have just corrected it
    if disagreement is None:
        return ""
    claimed, actual = disagreement
    record_audit(None, "model.active_corrected", None, before={"version": claimed}, after={"version": actual})
    log.warning("the audit log said model %s was active, ACTIVE names %s: corrected in the log", claimed, actual)
    return (f"The audit log said model {claimed} was active, but {actual or 'no model'} is (an activation stopped "
            "half-way): recorded in the log. Run `flask civicwatch activate VERSION` to make another one active.")


def _log_disagreement() -> tuple[str, str | None] | None:
    """(the model the log names, the one ACTIVE names) when they differ and no switch may be under way."""
    claimed, when = logged_active_model()
    if claimed is None or when is None or when > utcnow() - SWITCH_UNDER_WAY:
        return None
    actual = active_model_version()
    return None if actual == claimed else (claimed, actual)


# Corrections of the log run one at a time across processes (PostgreSQL's advisory lock of this number).
_CORRECTION_LOCK_ID = 727_014


def _one_correction_at_a_time() -> None:
    """Workers started together each find the log wrong and would each record the correction. The second now waits
    for the first to commit and then reads its entry. PostgreSQL: an advisory lock held until the commit; SQLite:
    its one write lock, taken before the log is read again (a write that matches no row)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _CORRECTION_LOCK_ID})
    else:
        db.session.execute(update(LabelledExample).where(false()).values(id=LabelledExample.id))


def _is_file(path: Path) -> bool:
    """Path.is_file, false for a path the system refuses to look up (a name too long for a file)."""
    try:
        return path.is_file()
    except OSError:
        return False


def text_hash(text: str) -> str:
    """A short one-way hash of a text, to recognise training examples later without keeping them."""
    return hashlib.sha256(split_key(text).encode("utf-8")).hexdigest()[:20]


def training_corrections(labels: set[str], made_before: dt.datetime | None = None
                         ) -> tuple[list[LabelledText], list[LabelledExample], int]:
    """Theme corrections whose label the model knows, as examples; the latest correction of a case wins.

    Returns (examples, their rows, how many were skipped for an unknown label).
    """
    latest: dict[object, LabelledExample] = {}
    for row in all_theme_corrections():
        if made_before is not None and row.created_at is not None and row.created_at > made_before:
            continue
        latest[row.case_id if row.case_id is not None else ("row", row.id)] = row
    usable = [row for row in latest.values() if row.label in labels and row.text and row.text.strip()]
    skipped = len(latest) - len(usable)
    examples = [LabelledText(text=row.text, label=row.label, source=f"correction:{row.id}",
                             from_complaint=True) for row in usable]
    return examples, usable, skipped


def _as_read(rows: list[LabelledExample]) -> list[dict[str, Any]]:
    """The corrections not yet used, as read now (plain values: the ORM rows expire with the transaction)."""
    return [{"row_id": row.id, "row_label": row.label, "row_text": row.text}
            for row in rows if row.used_in_model is None]


def _mark_used(learned: list[dict[str, Any]], version: str) -> None:
    """Record which model learned these corrections (`_as_read`): one erased (retention) or corrected again in
    another process while the model trained, minutes long, is left as it now is, not written back."""
    table = cast(Table, LabelledExample.__table__)
    if learned:
        db.session.execute(update(table).where(
            table.c.id == bindparam("row_id"), table.c.label == bindparam("row_label"),
            table.c.text == bindparam("row_text"), table.c.used_in_model.is_(None),
        ).values(used_in_model=version, used_at=utcnow()), learned)


def _file_name(path: Path) -> str:
    """Project files by their path in the project (the same on every machine); others in full."""
    try:
        return str(path.resolve().relative_to(Path(__file__).resolve().parents[2]))
    except ValueError:
        return str(path.resolve())


def _staged(progress: Progress, prefix: str, two_runs: bool, run: int) -> Progress:
    """Reports of one of the training runs as parts of the whole: the second run continues the first's bar."""
    runs = 2 if two_runs else 1
    return lambda report: progress(replace(report, stage=prefix + report.stage, done=(run + report.done) / runs))


def train_model(data_paths: Sequence[Path | str] | None = None, label_field: str = DEFAULT_LABEL_FIELD,
                keep_held_out: bool = False, config_path: Path | str = CONFIG_PATH,
                progress: Progress | None = None, activate: bool = True, user: Any = None) -> TrainingResult:
    """Train on the files (the project corpus by default) plus staff theme corrections and save a versioned
    model directory; the result says whether to make it active, which the caller does with `switch_active_model`
    once it has committed the audit entry. Flushes; the caller commits. Call it with nothing pending: once the data
    is read, it ends the session's read transaction, which would otherwise stay open for the minutes of training
    (holding back the database's clean-up, and ended by a server or pooler that ends idle transactions).

    The held-out split is measured first, with a model trained without it. Then, unless `keep_held_out`,
    the saved model is trained again on every example (the held-out ones too): more examples serve
    complainants better, and the figures stay those of the held-out run.
    """
    paths = [Path(p) for p in data_paths] if data_paths else corpus_files()
    if not paths:
        raise CorpusError("There is no training data: the corpus folder has no .jsonl files.")
    examples = read_examples(paths, label_field)
    check_model_root(model_root())
    train, held_out = split_examples(examples)
    corrections: list[LabelledText] = []
    correction_rows: list[LabelledExample] = []
    skipped = 0
    if label_field == DEFAULT_LABEL_FIELD:
        corrections, correction_rows, skipped = training_corrections({e.label for e in examples})
    progress = progress or (lambda report: None)
    refit = bool(held_out) and not keep_held_out
    terms = gazetteer_terms()
    learned = _as_read(correction_rows)
    db.session.rollback()  # only reads so far
    trained = train_pipeline(train + corrections, config_path, _staged(progress, "1/2 " if refit else "", refit, 0),
                             terms)
    metrics = None
    if held_out:
        measured = Classifier.from_pipeline(trained, terms, version="held-out run")
        metrics = {"held_out": evaluate_classifier(measured, held_out),
                   "measured_on": "a model trained without the held-out split, with the same settings"}
    training_set = examples + corrections if refit else train + corrections
    if refit:
        trained = train_pipeline(training_set, config_path, _staged(progress, "2/2 ", refit, 1), terms)
    meta: dict[str, Any] = {
        "created_at": utcnow().isoformat(),
        **model_meta(trained),
        "label_field": label_field,
        "epochs": trained.epochs,
        "training_seconds": trained.seconds,
        "data": {
            "files": [_file_name(p) for p in paths],
            "hash": data_hash(training_set),
            "examples": len(examples),
            "trained_on": len(training_set),
            "held_out": len(held_out),
            "held_out_rule": f"SHA-256 of the normalised text, bucket < {HELD_OUT_PERCENT} of 100",
            "held_out_in_model": refit,
            "corrections": len(corrections),
            "corrections_skipped": skipped,
        },
        "metrics": metrics,
        "config": Path(config_path).name,
        "spacy_version": spacy.__version__,
        "python": platform.python_version(),
    }
    # Only the files' texts: a complaint's hash would outlive its erasure (and `evaluate` reads files, not cases).
    path = save_model(trained, meta, terms, model_root(), new_version(meta["data"]["hash"]),
                      [text_hash(e.text) for e in training_set if not e.from_complaint])
    strangers = labels_not_themes(meta["labels"])
    activated = activate and not strangers
    _mark_used(learned, path.name)
    record_audit(user, "model.train", None, after={
        "version": path.name, "data_hash": meta["data"]["hash"], "examples": len(training_set),
        "corrections": len(corrections), "activated": activated,
    })
    log.info("trained model %s on %d examples in %.1fs", path.name, len(training_set), trained.seconds)
    notes = [f"Not made active: {_not_themes_note(strangers)}."] if activate and strangers else []
    return TrainingResult(path.name, path, {**meta, "version": path.name}, len(corrections), notes, activated)
