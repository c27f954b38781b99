"""A model and the ACTIVE pointer survive a power loss (each file and its folder synced before and after the rename
that shows it), activation and its audit entry never disagree, and a damaged pointer or model file sends
complaints to triage, saying so in the log and on the routing page, instead of bringing the app down."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case
from civicwatch.classify.files import ACTIVE_FILE
from civicwatch.classify.registry import active_model_version, current_classifier
from civicwatch.extensions import db
from tests.conftest import on_postgres
from tests.intake.conftest import report_and_read_receipt


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["civicwatch", *args])


def train(app: Flask, corpus: Path, config: Path):
    return run(app, "train", "--data", str(corpus), "--config", str(config), "--keep-held-out")


@pytest.fixture
def first(app: Flask, fixture_corpus: Path, fast_config: Path) -> str:
    result = train(app, fixture_corpus, fast_config)
    assert result.exit_code == 0, result.output
    return active_model_version()


class FileSystemCalls:
    """os.fsync, os.rename and os.replace as the process makes them (each still done), with the paths."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str, str]] = []
        fsync, rename, replace = os.fsync, os.rename, os.replace

        def synced(fd: int) -> None:
            self.calls.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"), ""))
            fsync(fd)

        def renamed(source, target, *args, **kwargs) -> None:
            self.calls.append(("rename", os.fspath(source), os.fspath(target)))
            rename(source, target, *args, **kwargs)

        def replaced(source, target, *args, **kwargs) -> None:
            self.calls.append(("rename", os.fspath(source), os.fspath(target)))
            replace(source, target, *args, **kwargs)

        monkeypatch.setattr(os, "fsync", synced)
        monkeypatch.setattr(os, "rename", renamed)
        monkeypatch.setattr(os, "replace", replaced)

    def renaming_to(self, target: Path) -> tuple[int, Path]:
        (found,) = [(i, Path(call[1])) for i, call in enumerate(self.calls)
                    if call[0] == "rename" and Path(call[2]) == target]
        return found

    def synced(self, path: Path) -> list[int]:
        return [i for i, call in enumerate(self.calls) if call[0] == "fsync" and Path(call[1]) == path]


def test_a_trained_model_and_the_pointer_are_on_disk_before_they_are_shown(
        app: Flask, fixture_corpus: Path, fast_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = FileSystemCalls(monkeypatch)
    assert train(app, fixture_corpus, fast_config).exit_code == 0
    root = Path(app.config["MODEL_DIR"]).resolve()
    model = root / active_model_version()

    shown, staging = calls.renaming_to(model)
    for path in [model, *model.rglob("*")]:  # every file and folder of the model, before its name appears
        written = staging / path.relative_to(model)
        assert any(i < shown for i in calls.synced(written)), f"{path.relative_to(root)} was not synced"
    assert any(i > shown for i in calls.synced(root)), "the models folder was not synced after the rename"

    switched, pointer = calls.renaming_to(root / ACTIVE_FILE)
    assert switched > shown
    assert any(i < switched for i in calls.synced(pointer)), "ACTIVE was not synced before it replaced the old one"
    assert any(i > switched for i in calls.synced(root)), "the models folder was not synced after ACTIVE changed"


# ---------------------------------------------------------------- activation and its audit entry

def refuse_model_audit_entries() -> None:
    """The database refuses every audit entry about a model (a real failure of the commit, not a stand-in)."""
    if on_postgres():
        db.session.execute(text("CREATE FUNCTION refuse_model_entry() RETURNS trigger AS $$ BEGIN "
                                "IF NEW.action LIKE 'model.%' THEN RAISE EXCEPTION 'audit entry refused'; END IF; "
                                "RETURN NEW; END $$ LANGUAGE plpgsql"))
        db.session.execute(text("CREATE TRIGGER refuse_model_entries BEFORE INSERT ON audit_entries "
                                "FOR EACH ROW EXECUTE FUNCTION refuse_model_entry()"))
    else:
        db.session.execute(text("CREATE TRIGGER refuse_model_entries BEFORE INSERT ON audit_entries "
                                "WHEN NEW.action LIKE 'model.%' BEGIN SELECT RAISE(ABORT, 'audit entry refused'); "
                                "END"))
    db.session.commit()


def _model_entries() -> list[tuple[str, dict | None]]:
    return [(entry.action, entry.after) for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.startswith("model.")).order_by(AuditEntry.seq))]


def test_an_activation_whose_audit_entry_fails_leaves_the_model_before_active(
        app: Flask, first: str, fixture_corpus: Path, fast_config: Path) -> None:
    assert train(app, fixture_corpus, fast_config).exit_code == 0
    second = active_model_version()
    refuse_model_audit_entries()
    result = run(app, "activate", first)
    assert active_model_version() == second
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "not made active" in result.output and "audit" in result.output, result.output


def test_a_training_whose_audit_entry_fails_leaves_the_model_before_active(
        app: Flask, first: str, fixture_corpus: Path, fast_config: Path) -> None:
    refuse_model_audit_entries()
    result = run(app, "train", "--data", str(fixture_corpus), "--config", str(fast_config))
    assert active_model_version() == first
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "not made active" in result.output, result.output


def test_a_switch_that_fails_after_its_audit_entry_is_recorded(app: Flask, first: str, fixture_corpus: Path,
                                                               fast_config: Path) -> None:
    """The audit entry commits first; when the pointer then cannot be replaced, the log says so."""
    assert train(app, fixture_corpus, fast_config).exit_code == 0
    pointer = Path(app.config["MODEL_DIR"]) / ACTIVE_FILE
    pointer.unlink()
    pointer.mkdir()  # a folder where the pointer was: replacing it fails
    result = run(app, "activate", first)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "not made active" in result.output, result.output
    assert _model_entries()[-2:] == [("model.activate", {"version": first}),
                                     ("model.activate_failed", {"version": first})]


# ---------------------------------------------------------------- a damaged pointer or model

POINTERS = {"empty": b"", "blank line": b"\n", "not text": b"\xff\xfe\x00\x81", "no such model": b"20260101-x\n",
            "a path": b"../models\n", "a null": b"ab\x00cd\n"}
MODEL_FILES = {"empty meta": "meta.json", "empty words": "words.json"}


def _damage(app: Flask, active: str, damage: str) -> None:
    root = Path(app.config["MODEL_DIR"])
    if damage in POINTERS:
        (root / ACTIVE_FILE).write_bytes(POINTERS[damage])
    else:
        (root / active / MODEL_FILES[damage]).write_bytes(b"")  # as a power loss leaves a file never synced


@pytest.mark.parametrize("damage", [*POINTERS, *MODEL_FILES])
def test_a_damaged_pointer_or_model_sends_complaints_to_triage_and_says_so(
        app: Flask, client, active_model: str, damage: str, make_user, login_as, caplog) -> None:
    _damage(app, active_model, damage)
    with caplog.at_level(logging.ERROR):
        reported = report_and_read_receipt(client)
    case = db.session.get(Case, reported.case.id)
    assert case.body_id is None
    assert "could not be loaded" in case.routing_explanation["reason"], case.routing_explanation
    assert any("classifier model" in record.getMessage() and record.levelno >= logging.ERROR
               for record in caplog.records), caplog.text

    assert client.get("/healthz").status_code == 200
    staff = login_as(make_user(Role.ADMIN))
    page = staff.get("/staff/routing/")
    assert page.status_code == 200
    assert "The active classifier model cannot be read" in page.get_data(as_text=True)


def test_evaluate_reads_the_database_then_ends_its_transaction_before_classifying(
        app: Flask, active_model: str, tmp_path: Path, fixture_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Classifying a large file takes minutes: a read transaction held open meanwhile holds back the database's
    clean-up (and a server that ends idle transactions ends it)."""
    nlp = current_classifier().nlp
    db.session.rollback()
    during: list[bool] = []
    tokenizer = nlp.tokenizer

    def tokenize(text_: str):
        during.append(db.session().in_transaction())
        return tokenizer(text_)

    monkeypatch.setattr(nlp, "tokenizer", tokenize)  # spaCy's tokenizer: it reads every text the model classifies
    result = run(app, "evaluate", "--data", str(fixture_corpus))
    assert result.exit_code == 0, result.output
    assert during and not any(during), f"{sum(during)} of {len(during)} texts read inside a transaction"
