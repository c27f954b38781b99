"""`civicwatch train`, `classify` and `evaluate` through the Flask CLI, with a real database and model."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from civicwatch.audit.models import AuditEntry
from civicwatch.classify.models import LabelledExample
from civicwatch.classify.queries import count_waiting_corrections
from civicwatch.classify.registry import active_model_version, read_meta
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Setting


def run(app: Flask, *args: str, input: bytes | str | None = None):
    """Invoke a command; result.stdout and result.stderr are kept apart (Click 8.2)."""
    return app.test_cli_runner().invoke(args=["civicwatch", *args], input=input)


@pytest.fixture
def trained(app: Flask, fixture_corpus: Path, fast_config: Path) -> str:
    """A model that never saw the held-out split (so evaluating on it is fair)."""
    result = run(app, "train", "--data", str(fixture_corpus), "--config", str(fast_config), "--keep-held-out")
    assert result.exit_code == 0, result.output
    return active_model_version()


def test_train_writes_an_active_versioned_model(app: Flask, fixture_corpus: Path, fast_config: Path) -> None:
    db.session.add(LabelledExample(field="theme", label="corruption",
                                   text="the desk officer wanted cash before writing my statement"))
    db.session.add(LabelledExample(field="theme", label="no_such_theme", text="ignored: unknown label"))
    db.session.commit()
    result = run(app, "train", "--data", str(fixture_corpus), "--config", str(fast_config))
    assert result.exit_code == 0, result.output
    version = active_model_version()
    assert version and f"Model {version} is active." in result.output
    assert "Training the classifier [" in result.output and "100%" in result.output  # one progress bar
    assert "held-out" in result.output
    meta = read_meta(Path(app.config["MODEL_DIR"]) / version)
    assert meta["version"] == version and len(meta["data"]["hash"]) == 64
    assert meta["data"]["corrections"] == 1 and meta["data"]["corrections_skipped"] == 1
    assert meta["data"]["files"] == [str(fixture_corpus.resolve())]
    assert 0 < meta["metrics"]["held_out"]["theme"]["macro_f1"] <= 1
    assert meta["urgency"]["threshold"] is not None
    used = db.session.scalars(select(LabelledExample).where(LabelledExample.label == "corruption")).one()
    assert used.used_in_model == version and used.used_at is not None
    assert count_waiting_corrections() == 1  # the unusable one still waits
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "model.train")) is not None


def test_train_again_makes_a_new_active_version(app: Flask, trained: str, fixture_corpus: Path,
                                                fast_config: Path) -> None:
    first = read_meta(Path(app.config["MODEL_DIR"]) / trained)
    assert first["data"]["held_out_in_model"] is False
    assert first["data"]["trained_on"] == first["data"]["examples"] - first["data"]["held_out"]
    result = run(app, "train", "--data", str(fixture_corpus), "--config", str(fast_config), "--verbose")
    assert result.exit_code == 0, result.output
    assert "2/2 theme" in result.output  # measured on the held-out split, then trained on everything
    assert "loss" in result.output  # --verbose: a line per epoch
    assert active_model_version() != trained
    meta = read_meta(Path(app.config["MODEL_DIR"]) / active_model_version())
    assert meta["data"]["held_out_in_model"] is True and meta["data"]["trained_on"] == meta["data"]["examples"]
    assert meta["metrics"]["held_out"]["theme"]["examples"] == meta["data"]["held_out"]


def test_train_with_another_label_field(app: Flask, tmp_path: Path, fast_config: Path) -> None:
    rows = [{"text": f"{word} report {i}", "category": label} for i in range(12)
            for word, label in (("rude words", "VERBAL"), ("no patrol came", "SERVICE"))]
    path = tmp_path / "other.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = run(app, "train", "--data", str(path), "--label-field", "category", "--config", str(fast_config))
    assert result.exit_code == 0, result.output
    assert active_model_version() is None  # saved, not active: its labels are not themes
    (saved,) = [p for p in Path(app.config["MODEL_DIR"]).iterdir() if p.is_dir() and not p.name.startswith(".")]
    meta = read_meta(saved)
    assert meta["labels"] == ["SERVICE", "VERBAL"] and meta["urgency"] is None


@pytest.mark.parametrize(
    ("content", "message"),
    [('{"text": "x"}\n', "no value for the label field"), ("not json\n", "not valid JSON"),
     ('{"text": "only one label", "theme": "corruption"}\n', "at least two different labels")],
)
def test_train_refuses_bad_data_clearly(app: Flask, tmp_path: Path, fast_config: Path, content: str,
                                        message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    result = run(app, "train", "--data", str(path), "--config", str(fast_config))
    assert result.exit_code == 1 and message in (result.stdout + result.stderr)
    assert active_model_version() is None


def test_classify_reads_jsonl_and_routes(app: Flask, trained: str) -> None:
    db.session.get(Setting, "routing_confidence_threshold").value = 0.0
    db.session.commit()
    lines = [
        json.dumps({"id": 7, "text": "The officer demanded a bribe of fifty thousand to release my car.",
                    "source": "old system"}),
        json.dumps({"id": 8, "text": "😀"}),
    ]
    result = run(app, "classify", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["id"] == 7 and first["source"] == "old system"
    assert first["theme"] == "corruption" and first["body"] == "anti_corruption_commission"
    assert set(first["scores"]) >= {"corruption", "misconduct"} and first["model_version"] == trained
    assert {"actor", "region", "district", "urgent", "confidence"} <= set(first)
    assert second["id"] == 8 and second["theme"] is None and second["body"] is None


def test_classify_marks_bad_lines_and_carries_on(app: Flask, trained: str) -> None:
    good = json.dumps({"id": 1, "text": "no salary for five months in the barracks"})
    stdin = b"\n".join([
        good.encode(),
        b"{broken json",
        b"[1, 2, 3]",
        json.dumps({"id": 4, "text": 12}).encode(),
        b"\xff\xfe\x00\x01 binary",
        b"",
        json.dumps({"id": 6, "text": ""}).encode(),
    ]) + b"\n"
    result = run(app, "classify", input=stdin)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 6  # the blank line is not an input
    assert "error" not in out[0] and out[0]["theme"]
    assert out[1]["error"]["line"] == 2 and "JSON" in out[1]["error"]["message"]
    assert "object" in out[2]["error"]["message"]
    assert out[3]["id"] == 4 and "'text'" in out[3]["error"]["message"]
    assert "UTF-8" in out[4]["error"]["message"]
    assert "error" not in out[5] and out[5]["theme"] is None  # empty text is read as nothing, not an error


def test_classify_without_a_model_says_so(app: Flask) -> None:
    result = run(app, "classify", input='{"text": "x"}\n')
    assert result.exit_code == 1 and "No classifier model is active" in (result.stdout + result.stderr)


def test_evaluate_prints_every_figure_beside_the_baseline(app: Flask, trained: str, fixture_corpus: Path) -> None:
    result = run(app, "evaluate", "--data", str(fixture_corpus))
    assert result.exit_code == 0, result.output
    out = result.output
    for expected in ("abuse_of_force", "baseline F1", "macro-F1  pipeline", "TF-IDF + logistic regression",
                     "confusion matrix", "actor accuracy", "region accuracy", "urgent    precision",
                     "the same data as the model", "WARNING"):
        assert expected in out, expected
    held_out = run(app, "evaluate", "--data", str(fixture_corpus), "--held-out", "--json")
    figures = json.loads(held_out.output)
    assert figures["seen_in_training"] == 0 and figures["examples"] < 40
    assert figures["baseline"]["macro_f1"] >= 0 and figures["pipeline"]["theme"]["confusion"]["rows"]


def test_prepare_trains_only_when_no_model_is_active(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                                    fixture_corpus: Path, fast_config: Path) -> None:
    import civicwatch.classify.operations as operations
    from civicwatch.classify.cli import prepare_model

    monkeypatch.setattr(operations, "corpus_files", lambda: [fixture_corpus])
    monkeypatch.setattr(operations, "CONFIG_PATH", fast_config)
    message = prepare_model()
    version = active_model_version()
    assert version and version in message
    assert prepare_model() == f"Classifier model {version} is active."


def test_evaluate_on_labels_the_model_never_gives_says_so(app: Flask, active_model: str, tmp_path: Path) -> None:
    """Data of another taxonomy (or the wrong --label-field) scores 0 everywhere: the command says why, instead of
    leaving the operator to conclude the model is useless."""
    path = tmp_path / "other.jsonl"
    path.write_text('{"text": "rude words at the desk", "category": "VERBAL"}\n'
                    '{"text": "no patrol came for hours", "category": "SERVICE"}\n'
                    '{"text": "the officer took a bribe", "category": "corruption"}\n')
    result = run(app, "evaluate", "--data", str(path), "--label-field", "category")
    assert result.exit_code == 0, result.output
    assert "2 of these 3 examples have labels the model never gives (SERVICE, VERBAL)" in result.output
    figures = json.loads(run(app, "evaluate", "--data", str(path), "--label-field", "category", "--json").output)
    assert figures["unknown_labels"] == {"SERVICE": 1, "VERBAL": 1}
