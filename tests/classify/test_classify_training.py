"""Training the pipeline: what gets trained, the urgency threshold, reproducibility and refusals."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy
import pytest

from civicwatch.classify.corpus import CorpusError, LabelledText, read_examples
from civicwatch.classify.training import (
    ACTOR,
    IMMEDIACY_FACTORS,
    THEME,
    URGENCY,
    Settings,
    _dev_rows,
    _theme_task,
    choose_threshold,
    load_pipeline_config,
    macro_f1,
    train_pipeline,
)
from tests.classify.fixtures import fixture_examples, write_jsonl


def test_choose_threshold_reaches_the_recall_target() -> None:
    truth = numpy.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1])
    scores = numpy.array([0.9, 0.8, 0.3, 0.2, 0.25, 0.1, 0.05, 0.5, 0.6, 0.7])
    threshold, recall, precision = choose_threshold(truth, scores, 0.8)
    assert threshold == 0.3 and recall == 0.8 and precision == 4 / 6
    threshold, recall, _ = choose_threshold(truth, scores, 1.0)
    assert threshold == 0.2 and recall == 1.0
    assert choose_threshold(numpy.array([0, 0]), numpy.array([0.1, 0.2]), 0.9)[1] == 0.0


def test_choose_threshold_with_a_confidence_keeps_a_margin_for_a_small_sample() -> None:
    """20 urgent examples: 19 found is 95% on average, but a recall of 95% at 95% confidence needs all 20;
    with 2,000 the margin shrinks to about one point."""
    truth = numpy.array([1] * 20 + [0] * 20)
    scores = numpy.concatenate([numpy.linspace(0.99, 0.2, 20), numpy.linspace(0.5, 0.01, 20)])
    assert choose_threshold(truth, scores, 0.95)[0] == pytest.approx(scores[18])
    threshold, recall, _ = choose_threshold(truth, scores, 0.95, confidence=0.95)
    assert threshold == pytest.approx(0.2) and recall == 1.0
    many = numpy.linspace(1.0, 0.0, 2000)
    threshold, recall, _ = choose_threshold(numpy.ones(2000), many, 0.95, confidence=0.95)
    assert 0.95 < recall < 0.97


def test_macro_f1() -> None:
    assert macro_f1(["a", "b"], ["a", "b"], ["a", "b"]) == 1.0
    assert macro_f1(["a", "a", "b"], ["a", "b", "b"], ["a", "b"]) == pytest.approx((2 / 3 + 2 / 3) / 2)


def test_trains_theme_urgency_and_actor(fixture_corpus: Path, fast_config: Path) -> None:
    examples = read_examples([fixture_corpus])
    reports = []
    trained = train_pipeline(examples, fast_config, progress=reports.append)
    assert trained.nlp.pipe_names == [THEME, URGENCY, ACTOR]
    assert trained.labels == sorted({e.label for e in examples})
    assert 0.0 < trained.urgency_threshold < 1.0
    assert trained.urgency_cv["recall"] >= trained.urgency_cv["target_recall"]
    assert set(trained.actor_codes) <= {"police", "military", "intelligence", "corrections", "border"}
    assert {"theme", "urgency", "actor"} <= {report.stage.split(" ")[0] for report in reports}
    assert trained.word_counts["police"] > 3


def test_training_is_reproducible(fixture_corpus: Path, fast_config: Path) -> None:
    examples = read_examples([fixture_corpus])
    texts = ["the officer took a bribe at the checkpoint", "no salary for months in the barracks"]
    first = [doc.cats for doc in train_pipeline(examples, fast_config).nlp.pipe(texts)]
    second = [doc.cats for doc in train_pipeline(examples, fast_config).nlp.pipe(texts)]
    assert first == second


def test_any_label_set_trains_without_urgency_or_actor(fast_config: Path) -> None:
    examples = [LabelledText(f"{word} complaint number {i}", label) for i in range(15)
                for word, label in (("rude", "VERBAL ABUSE"), ("slow", "LACK OF SERVICE"), ("hit", "PHYSICAL ABUSE"))]
    trained = train_pipeline(examples, fast_config)
    assert trained.nlp.pipe_names == [THEME]
    assert trained.urgency_threshold is None and trained.actor_codes is None
    doc = trained.nlp("he was very rude to me")
    assert max(trained.labels, key=lambda label: doc.cats[label]) == "VERBAL ABUSE"


@pytest.mark.parametrize(
    ("labels", "message"),
    [(["only"], "at least two different labels"), (["urgency:x", "b"], "may not start with"),
     (["actor:police", "b"], "may not start with")],
)
def test_refuses_unusable_label_sets(fast_config: Path, labels: list[str], message: str) -> None:
    examples = [LabelledText(f"text {i} {label}", label) for i in range(5) for label in labels]
    with pytest.raises(CorpusError, match=message):
        train_pipeline(examples, fast_config)


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="Cannot read the pipeline config"):
        train_pipeline([LabelledText("a", "x"), LabelledText("b", "y")], tmp_path / "missing.cfg")


def _split_files(directory: Path, every: int) -> list[Path]:
    """The fixture corpus in two files: every `every`-th example in a voices_ file, the rest in another."""
    rows = fixture_examples()
    voices = [row for i, row in enumerate(rows) if i % every == 0]
    rest = [row for i, row in enumerate(rows) if i % every != 0]
    return [write_jsonl(directory / "fixture.jsonl", rest), write_jsonl(directory / "voices_fixture.jsonl", voices)]


def _development_split(examples: list[LabelledText], config: Path) -> tuple[list[int], list[int], str] | None:
    labels = sorted({example.label for example in examples})
    task = _theme_task([None] * len(examples), examples, labels)  # the split reads no docs
    # A hundred fixture texts: a 40% hash share, so that the fallback holds enough rows to be usable.
    return _dev_rows(task, replace(Settings.from_config(load_pipeline_config(config)), dev_percent=40))


def test_development_split_is_every_out_of_voice_example(tmp_path: Path, fast_config: Path) -> None:
    examples = read_examples(_split_files(tmp_path, every=3))
    split = _development_split(examples, fast_config)
    assert split is not None
    train_rows, dev_rows, chosen_on = split
    assert dev_rows == [i for i, e in enumerate(examples) if e.source.startswith("voices_")]
    assert train_rows == [i for i, e in enumerate(examples) if not e.source.startswith("voices_")]
    assert chosen_on.startswith("out-of-voice")


def test_development_split_falls_back_to_the_hash_without_enough_out_of_voice_examples(
        tmp_path: Path, fast_config: Path) -> None:
    for files in (_split_files(tmp_path, every=10), [write_jsonl(tmp_path / "one.jsonl", fixture_examples())]):
        examples = read_examples(files)  # 10 voices_ rows at most: too few for a development split
        split = _development_split(examples, fast_config)
        assert split is not None
        _, dev_rows, chosen_on = split
        assert "by a hash of the text" in chosen_on
        assert any(not examples[i].source.startswith("voices_") for i in dev_rows)


def test_calibration_is_chosen_on_the_out_of_voice_examples(tmp_path: Path, fast_config: Path) -> None:
    examples = read_examples(_split_files(tmp_path, every=3))
    voices = sum(1 for example in examples if example.source.startswith("voices_"))
    trained = train_pipeline(examples, fast_config)
    assert trained.triage is not None and trained.calibration_report is not None
    assert trained.triage["examples"] == trained.calibration_report["examples"] == voices
    assert trained.triage["chosen_on"].startswith("out-of-voice")
    assert trained.calibration_report["split"] == trained.triage["chosen_on"]
    # The urgency threshold too: the development model's scores of the out-of-voice examples, no folds.
    urgent_voices = sum(1 for example in examples if example.source.startswith("voices_") and example.urgent is not None)
    assert trained.urgency_cv is not None and "folds" not in trained.urgency_cv
    assert trained.urgency_cv["chosen_on"] == trained.triage["chosen_on"]
    assert trained.urgency_cv["examples"] == urgent_voices
    assert trained.urgency_cv["recall"] >= trained.urgency_cv["target_recall"]
    # So is the factor for texts that speak of no danger now, and the threshold is the one of the scaled scores.
    assert trained.urgency_factor in IMMEDIACY_FACTORS
    assert trained.urgency_cv["immediacy"]["factor"] == trained.urgency_factor
    assert trained.urgency_cv["immediacy"]["speaking_of_now"]["of_urgent"] == sum(
        1 for example in examples if example.source.startswith("voices_") and example.urgent)
