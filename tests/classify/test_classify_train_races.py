"""Training takes minutes, and the world moves meanwhile: a case whose correction the model is learning from may be
erased (retention, in another process), or corrected again. The new model is still saved, made active and audited,
and only the corrections it really learned are marked as used. Two trainings that end together each save a whole
model. No transaction stays open while the model trains, nor while `classify` waits for its input."""
from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, select, text

from civicwatch.audit.models import AuditEntry
from civicwatch.classify.classifier import Classifier, model_meta
from civicwatch.classify.corpus import read_examples
from civicwatch.classify.gazetteer import terms_from_taxonomy
from civicwatch.classify.models import LabelledExample
from civicwatch.classify.operations import switch_active_model, train_model
from civicwatch.classify.registry import active_model_version, read_meta, save_model
from civicwatch.classify.training import EpochReport, train_pipeline
from civicwatch.extensions import db
from civicwatch.taxonomy.operations import read_taxonomy
from tests.conftest import on_postgres


def test_corrections_erased_or_changed_while_the_model_trains(app: Flask, fixture_corpus: Path,
                                                              fast_config: Path) -> None:
    rows = [LabelledExample(field="theme", label="corruption", text=words) for words in (
        "the desk officer wanted cash before writing my statement",
        "the sergeant asked for money to return my phone",
        "they took a fee at the checkpoint from every bus")]
    db.session.add_all(rows)
    db.session.commit()
    erased, corrected_again, kept = (row.id for row in rows)
    elsewhere_done: list[bool] = []

    def meanwhile_in_another_process(report: EpochReport) -> None:
        if elsewhere_done:
            return
        elsewhere_done.append(True)
        with db.engine.begin() as other:  # retention erases one case; a triage officer re-corrects another
            other.execute(text("DELETE FROM labelled_examples WHERE id = :id"), {"id": erased})
            other.execute(text("UPDATE labelled_examples SET label = 'misconduct' WHERE id = :id"),
                          {"id": corrected_again})

    result = train_model([fixture_corpus], config_path=fast_config, progress=meanwhile_in_another_process)
    db.session.commit()
    switch_active_model(result.version)  # after the commit of its audit entry, as the commands do
    assert elsewhere_done and active_model_version() == result.version
    db.session.expire_all()
    assert db.session.get(LabelledExample, erased) is None  # not written back by the training's session
    again = db.session.get(LabelledExample, corrected_again)
    assert again.label == "misconduct" and again.used_in_model is None  # the model learned the old label
    assert db.session.get(LabelledExample, kept).used_in_model == result.version
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "model.train"))
    assert entry is not None and entry.after["version"] == result.version


def test_two_trainings_saving_the_same_version_at_once_keep_each_other_s_files(tmp_path: Path, fixture_corpus: Path,
                                                                             fast_config: Path) -> None:
    """Two `train` runs on the same data end in the same second: the same version name. The second must not remove
    the model the first is still writing (it did: both wrote to .VERSION.partial, and each began by emptying it)."""
    trained = train_pipeline(read_examples([fixture_corpus]), fast_config)
    meta = {**model_meta(trained), "label_field": "theme", "data": {"files": [], "hash": "0" * 64}}
    terms = terms_from_taxonomy(read_taxonomy())
    root = tmp_path / "models"
    version = "20260312-090000-00000000"
    first_writing = root / f".{version}.partial"  # where the first run, still writing, keeps its files
    (first_writing / "pipeline").mkdir(parents=True)
    (first_writing / "pipeline" / "meta.json").write_text("{}")
    saved = save_model(trained, meta, terms, root, version, [])
    assert (first_writing / "pipeline" / "meta.json").read_text() == "{}"
    assert read_meta(saved)["version"] == saved.name and Classifier.load(saved).version == saved.name


def _ending_idle_transactions(connection, record, proxy) -> None:
    with connection.cursor() as cursor:  # whichever pooled connection the session takes
        cursor.execute("SET idle_in_transaction_session_timeout = '1s'")


@pytest.mark.skipif(not on_postgres(), reason="a server that ends idle transactions: PostgreSQL")
def test_training_holds_no_transaction_open_while_it_trains(app: Flask, fixture_corpus: Path,
                                                           fast_config: Path) -> None:
    """Training takes minutes. A transaction left open meanwhile holds back the server's clean-up and is ended by
    a server (or a pooler) that ends idle transactions; then the end of training failed with a traceback, the model
    saved but neither made active nor audited."""
    db.session.add(LabelledExample(field="theme", label="corruption", text="the sergeant asked for money first"))
    db.session.commit()
    db.session.close()
    event.listen(db.engine, "checkout", _ending_idle_transactions)
    try:
        result = train_model([fixture_corpus], config_path=fast_config)
        db.session.commit()
        switch_active_model(result.version)
    finally:
        event.remove(db.engine, "checkout", _ending_idle_transactions)
    assert active_model_version() == result.version
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "model.train")) is not None
    assert db.session.scalar(select(LabelledExample.used_in_model)) == result.version


class SlowPipe(io.BytesIO):
    """Standard input fed by a slow producer (an export streaming through a pipe): a pause before each line."""

    def __next__(self) -> bytes:
        time.sleep(1.5)
        return super().__next__()


@pytest.mark.skipif(not on_postgres(), reason="a server that ends idle transactions: PostgreSQL")
def test_classify_holds_no_transaction_open_while_it_waits_for_input(app: Flask, active_model: str) -> None:
    lines = [json.dumps({"id": n, "text": "the officer demanded a bribe at the checkpoint"}) for n in (1, 2)]
    event.listen(db.engine, "checkout", _ending_idle_transactions)
    try:
        result = app.test_cli_runner().invoke(args=["civicwatch", "classify", "--batch-size", "1"],
                                              input=SlowPipe(("\n".join(lines) + "\n").encode()))
    finally:
        event.remove(db.engine, "checkout", _ending_idle_transactions)
    assert result.exit_code == 0, (repr(result.exception), result.output)
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 2]
