"""Reading labelled examples, the fixed held-out split and the data hash."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicwatch.classify.corpus import (
    HELD_OUT_PERCENT,
    CorpusError,
    LabelledText,
    corpus_files,
    data_hash,
    is_held_out,
    read_examples,
    split_bucket,
    split_examples,
)
from civicwatch.taxonomy.operations import read_taxonomy


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_examples_keeps_every_field(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jsonl", [
        json.dumps({"text": "dem beat me", "theme": "abuse_of_force", "actor": "police", "region": "eastern",
                    "district": "kenema", "urgent": True, "channel": "sms"}),
        "",
        json.dumps({"text": "no pay", "theme": "personnel_welfare", "actor": None}),
    ])
    first, second = read_examples([path])
    assert first == LabelledText("dem beat me", "abuse_of_force", True, "police", "eastern", "kenema",
                                 "a.jsonl:1", frozenset({"urgent", "actor", "region", "district"}))
    assert second.urgent is None and second.actor is None and second.annotated == frozenset({"actor"})
    assert second.source == "a.jsonl:3"


def test_read_examples_with_another_label_field(tmp_path: Path) -> None:
    path = _write(tmp_path / "b.jsonl", [json.dumps({"text": "t", "category": "VERBAL ABUSE", "theme": "x"})])
    assert read_examples([path], label_field="category")[0].label == "VERBAL ABUSE"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "b.jsonl:1: not valid JSON"),
        ("[1, 2]", "b.jsonl:1: expected a JSON object"),
        (json.dumps({"theme": "corruption"}), "'text' must be a non-empty string"),
        (json.dumps({"text": "   ", "theme": "corruption"}), "'text' must be a non-empty string"),
        (json.dumps({"text": "bribe"}), "no value for the label field 'theme'"),
        (json.dumps({"text": "bribe", "theme": ""}), "no value for the label field 'theme'"),
        (json.dumps({"text": "bribe", "theme": ["a"]}), "no value for the label field 'theme'"),
    ],
)
def test_read_examples_names_the_bad_line(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path / "b.jsonl", [line])
    with pytest.raises(CorpusError, match=message.replace("[", r"\[")):
        read_examples([path])


def test_read_examples_refuses_a_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(CorpusError, match="Cannot read c.jsonl"):
        read_examples([path])


def test_held_out_split_is_fixed_by_the_text_alone() -> None:
    texts = [f"complaint number {i} about the police" for i in range(2000)]
    held = [t for t in texts if is_held_out(t)]
    assert abs(len(held) / len(texts) - HELD_OUT_PERCENT / 100) < 0.03
    # Same decision for the same text, whatever its case, spacing or position in a file.
    assert all(is_held_out(t.upper().replace(" ", "  ")) for t in held)
    assert split_bucket(texts[7]) == split_bucket("  " + texts[7].title() + "\n")
    assert [e.text for e in split_examples([LabelledText(t, "x") for t in reversed(texts)])[1]] == list(reversed(held))
    # A different salt gives an independent split (used for the development split inside training).
    assert {split_bucket(t, "dev") for t in texts[:50]} != {split_bucket(t) for t in texts[:50]}


def test_data_hash_ignores_order_and_sees_labels() -> None:
    a, b = LabelledText("one", "x", True), LabelledText("two", "y", False)
    assert data_hash([a, b]) == data_hash([b, a])
    assert data_hash([a, b]) != data_hash([a, LabelledText("two", "x", False)])
    assert len(data_hash([])) == 64


def test_project_corpus_is_well_formed() -> None:
    """Whatever its size, every corpus line is a valid example labelled with the default taxonomy's codes."""
    files = corpus_files()
    if not files:
        pytest.skip("no corpus files yet")
    taxonomy = read_taxonomy()
    themes = {t["code"] for t in taxonomy["themes"]}
    actors = {a["code"] for a in taxonomy["actors"]}
    regions = {r["code"]: {d["code"] for d in r["districts"]} for r in taxonomy["regions"]}
    for example in read_examples(files):
        assert example.label in themes, example.source
        assert example.actor is None or example.actor in actors, example.source
        assert example.region is None or example.region in regions, example.source
        if example.district is not None:
            assert example.district in regions.get(example.region, set()), example.source
        assert "urgent" in example.annotated, example.source
