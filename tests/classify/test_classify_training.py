"""Training the pipeline: what gets trained, the urgency threshold, reproducibility and refusals."""
from __future__ import annotations

from pathlib import Path

import numpy
import pytest

from civicwatch.classify.corpus import CorpusError, LabelledText, read_examples
from civicwatch.classify.training import ACTOR, THEME, URGENCY, choose_threshold, macro_f1, train_pipeline


def test_choose_threshold_reaches_the_recall_target() -> None:
    truth = numpy.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1])
    scores = numpy.array([0.9, 0.8, 0.3, 0.2, 0.25, 0.1, 0.05, 0.5, 0.6, 0.7])
    threshold, recall, precision = choose_threshold(truth, scores, 0.8)
    assert threshold == 0.3 and recall == 0.8 and precision == 4 / 6
    threshold, recall, _ = choose_threshold(truth, scores, 1.0)
    assert threshold == 0.2 and recall == 1.0
    assert choose_threshold(numpy.array([0, 0]), numpy.array([0.1, 0.2]), 0.9)[1] == 0.0


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
