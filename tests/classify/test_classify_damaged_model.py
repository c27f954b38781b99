"""The classifier's commands and the correction page with a damaged model, odd text or an incomplete config: a
message and exit 1 (or the page), never a traceback or a 500."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.classify.registry import active_model_path, active_model_version
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Theme
from tests.cases.conftest import post_case_form
from tests.classify.fixtures import fixture_examples, write_jsonl
from tests.factories import create_case


def run(app: Flask, *args: str, input: bytes | str | None = None):
    return app.test_cli_runner().invoke(args=["civicwatch", *args], input=input)


DAMAGES = {
    "no pipeline": lambda path: shutil.rmtree(path / "pipeline"),
    "no word counts": lambda path: (path / "words.json").unlink(),
    "meta cut short": lambda path: (path / "meta.json").write_text('{"labels": ['),
    "meta without version": lambda path: (path / "meta.json").write_text(json.dumps(
        {k: v for k, v in json.loads((path / "meta.json").read_text()).items() if k != "version"})),
}


def _break_active_model(damage: str = "no pipeline") -> None:
    """A damaged model directory that ACTIVE still names."""
    DAMAGES[damage](active_model_path())


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_classify_with_a_damaged_active_model_says_so_without_a_traceback(app: Flask, active_model: str,
                                                                         damage: str) -> None:
    _break_active_model(damage)
    result = run(app, "classify", input='{"text": "the officer demanded a bribe"}\n')
    assert result.exit_code == 1
    # A clear message (ClickException -> SystemExit), not an uncaught ModelLoadError.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "active classifier model cannot be used" in result.output


def test_evaluate_with_a_damaged_active_model_says_so_without_a_traceback(app: Flask, active_model: str,
                                                                              tmp_path: Path) -> None:
    _break_active_model()
    data = tmp_path / "data.jsonl"
    data.write_text('{"text": "the officer demanded a bribe", "theme": "corruption"}\n')
    result = run(app, "evaluate", "--data", str(data))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "model" in (result.stdout + result.stderr).lower()


def test_classify_survives_a_lone_surrogate_in_the_text(app: Flask, active_model: str) -> None:
    # "\ud800" is valid JSON (an escape) and decodes to a lone surrogate, which cannot be written as UTF-8.
    lines = [json.dumps({"id": 1, "text": "\ud800 the officer demanded a bribe"}),
             json.dumps({"id": 2, "text": "no salary for five months in the barracks"})]
    result = run(app, "classify", input="\n".join(lines) + "\n")
    assert not isinstance(result.exception, UnicodeEncodeError), repr(result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in out] == [1, 2]  # every input line answered, the second one too


def test_train_reads_a_corpus_line_holding_a_lone_surrogate(app: Flask, tmp_path: Path, fast_config: Path) -> None:
    """A JSON export can escape half an emoji ("\\ud83d"): the text cleaning drops it, and training must not stop
    at its very end (the data hash) with a traceback that quotes the complaint."""
    rows = fixture_examples()
    rows[0] = {**rows[0], "text": rows[0]["text"] + " \ud83d"}
    corpus = write_jsonl(tmp_path / "export.jsonl", rows)
    result = run(app, "train", "--data", str(corpus), "--config", str(fast_config))
    assert result.exit_code == 0 and result.exception is None, repr(result.exception)
    assert active_model_version() is not None


def test_train_with_an_incomplete_config_file_is_a_clear_error(app: Flask, fixture_corpus: Path,
                                                               tmp_path: Path) -> None:
    for content in ("", "[training]\nmax_epochs = 1\n"):
        config = tmp_path / "bad.cfg"
        config.write_text(content)
        result = run(app, "train", "--data", str(fixture_corpus), "--config", str(config))
        assert result.exit_code == 1
        assert isinstance(result.exception, SystemExit), (content, repr(result.exception))
        assert "has no [training] section" in result.output


def test_correcting_a_case_with_a_damaged_active_model_is_not_a_500(app: Flask, active_model: str, make_user,
                                                                       login_as) -> None:
    case = create_case(CaseStatus.TRIAGED, None, theme="corruption", text="The officer asked me for money.")
    client = login_as(make_user(Role.ADMIN))
    _break_active_model()
    theme = db.session.scalars(select(Theme).where(Theme.code == "misconduct")).one()
    response = post_case_form(client, case.id, "correct", "correct", theme=str(theme.id), actor="", region="",
                              district="")
    assert response.status_code == 302, response.status_code
    db.session.expire_all()
    assert case.theme.code == "misconduct"


def test_prepare_replaces_an_active_model_it_cannot_load(app: Flask, active_model: str,
                                                         monkeypatch: pytest.MonkeyPatch, fixture_corpus: Path) -> None:
    """`make run` after an upgrade (a model saved by another spaCy) or a damaged copy: the demo must not be served
    by a model no process can load, every new case in the triage queue; prepare trains a new one."""
    import civicwatch.classify.operations as operations
    from civicwatch.classify.cli import prepare_model

    monkeypatch.setattr(operations, "corpus_files", lambda: [fixture_corpus])  # as in test_classify_cli.py
    _break_active_model()
    message = prepare_model()
    assert active_model_version() not in (None, active_model)
    assert f"{active_model} cannot be loaded" in message and active_model_version() in message
