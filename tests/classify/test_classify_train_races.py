"""Training takes minutes, and the world moves meanwhile: a case whose correction the model is learning from may be
erased (retention, in another process), or corrected again. The new model is still saved, made active and audited,
and only the corrections it really learned are marked as used."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select, text

from civicwatch.audit.models import AuditEntry
from civicwatch.classify.models import LabelledExample
from civicwatch.classify.operations import train_model
from civicwatch.classify.registry import active_model_version
from civicwatch.classify.training import EpochReport
from civicwatch.extensions import db


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
    assert elsewhere_done and active_model_version() == result.version
    db.session.expire_all()
    assert db.session.get(LabelledExample, erased) is None  # not written back by the training's session
    again = db.session.get(LabelledExample, corrected_again)
    assert again.label == "misconduct" and again.used_in_model is None  # the model learned the old label
    assert db.session.get(LabelledExample, kept).used_in_model == result.version
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "model.train"))
    assert entry is not None and entry.after["version"] == result.version
