"""The smoothed theme head, the calibration and the triage threshold: chosen at training time on examples
the models were not trained on, stored with the model and used when classifying."""
from __future__ import annotations

import json
from pathlib import Path

import numpy
import pytest
from spacy.util import load_config

from civicwatch.classify.classifier import Classifier, model_meta
from civicwatch.classify.corpus import read_examples
from civicwatch.classify.files import META_FILE
from civicwatch.classify.gazetteer import terms_from_taxonomy
from civicwatch.classify.registry import new_version, save_model
from civicwatch.classify.smoothed import (
    HEAD_FILE,
    WEIGHTS,
    FeatureRows,
    NaiveBayes,
    choose_calibration,
    choose_triage_threshold,
    fit_temperature,
    softmax,
)
from civicwatch.classify.training import train_pipeline
from civicwatch.taxonomy.operations import read_taxonomy
from tests.classify.fixtures import fixture_examples, write_fast_config, write_jsonl


def test_naive_bayes_learns_which_buckets_go_with_which_label() -> None:
    features = [(numpy.array([1, 2], "uint64"), numpy.array([1.0, 1.0], "float32")),
                (numpy.array([3, 4], "uint64"), numpy.array([1.0, 1.0], "float32"))] * 5
    rows = FeatureRows.build(features, 16)
    head = NaiveBayes.fit(rows, numpy.array([0, 1] * 5), 2, 16, smoothing=0.1, prior_weight=0.0)
    test = FeatureRows.build([(numpy.array([2, 7], "uint64"), numpy.array([1.0, 1.0], "float32"))], 16)
    posterior = numpy.exp(head.log_posteriors(test))[0]
    assert posterior[0] > 0.9  # bucket 2 belongs to label 0; bucket 7 was never seen and counts for nothing


def test_the_temperature_undoes_an_overconfident_scale() -> None:
    rng = numpy.random.default_rng(0)
    logits = rng.normal(size=(2000, 3))
    gold = numpy.array([rng.choice(3, p=p) for p in softmax(logits)])
    temperature, _ = fit_temperature(logits * 3.0, gold)
    assert 2.5 < temperature < 3.6


def test_the_weight_of_the_smoothed_head_follows_the_held_out_examples() -> None:
    rng = numpy.random.default_rng(1)
    gold = rng.integers(0, 4, size=400)
    informative = softmax(numpy.eye(4)[gold] * 3 + rng.normal(size=(400, 4)))
    noise = softmax(rng.normal(size=(400, 4)))
    calibration, _ = choose_calibration(informative, {0.01: numpy.log(noise)}, gold)
    assert calibration.weight == 0.0  # a useless head gets no weight
    calibration, _ = choose_calibration(noise, {0.01: numpy.log(informative)}, gold)
    assert calibration.weight >= 0.8 and calibration.smoothing == 0.01


def _two_equally_good_heads(seed: int, examples: int = 240, labels: int = 8
                            ) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Held-out examples of uneven labels read by two heads as good as each other, with errors they share and
    errors of their own: the best mix weighs them equally (0.5)."""
    rng = numpy.random.default_rng(seed)
    gold = rng.choice(labels, examples, p=numpy.array([8, 6, 5, 4, 3, 2, 1, 1]) / 30)
    shared = rng.normal(size=(examples, labels))
    textcat = softmax(numpy.eye(labels)[gold] * 1.2 + shared + rng.normal(size=(examples, labels)))
    nb_log = numpy.log(softmax(numpy.eye(labels)[gold] * 1.2 + shared + rng.normal(size=(examples, labels))))
    return textcat, nb_log, gold


def test_the_weight_stays_steady_from_one_development_split_to_another() -> None:
    """Twelve development splits of one source: the weight that is most often right on a split ranges from
    0.3 to 0.7 with the split (one split would mislead), the weight chosen stays within 0.1 of 0.5."""
    chosen, most_often_right = [], []
    for seed in range(12):
        textcat, nb_log, gold = _two_equally_good_heads(seed)
        chosen.append(choose_calibration(textcat, {0.01: nb_log}, gold)[0].weight)
        log_textcat = numpy.log(textcat)
        most_often_right.append(max(WEIGHTS, key=lambda weight: float(
            (((1 - weight) * log_textcat + weight * nb_log).argmax(axis=1) == gold).mean())))
    assert max(most_often_right) - min(most_often_right) >= 0.4 - 1e-9
    assert all(abs(weight - 0.5) <= 0.1 + 1e-9 for weight in chosen), chosen


def test_the_triage_threshold_meets_the_target_on_held_out_examples() -> None:
    confidence = numpy.linspace(0.99, 0.3, 1000)
    correct = numpy.random.default_rng(2).random(1000) < confidence  # right as often as it is sure
    triage = choose_triage_threshold(confidence, correct, 0.92)
    routed = confidence >= triage["threshold"]
    assert correct[routed].mean() >= 0.92 and 0.0 < triage["threshold"] < 0.99
    assert triage["coverage"] == pytest.approx(routed.mean(), abs=0.002)
    assert choose_triage_threshold(confidence, numpy.ones(1000, bool), 0.92)["threshold"] == 0.0
    assert choose_triage_threshold(confidence, numpy.zeros(1000, bool), 0.92)["coverage"] == 0.0


@pytest.fixture(scope="module")
def calibrated_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture corpus with a development split large enough to choose the calibration (30%)."""
    directory = tmp_path_factory.mktemp("calibrated")
    corpus = write_jsonl(directory / "fixture.jsonl", fixture_examples())
    config = load_config(write_fast_config(directory / "fast.cfg"))
    config["civicwatch"]["dev_percent"] = 30
    config.to_disk(directory / "calibrated.cfg")
    trained = train_pipeline(read_examples([corpus]), directory / "calibrated.cfg")
    return save_model(trained, {**model_meta(trained), "label_field": "theme"},
                      terms_from_taxonomy(read_taxonomy()), directory / "models", new_version("ca11b4a7"), [])


def test_training_stores_head_calibration_and_triage_threshold(calibrated_model: Path) -> None:
    meta = json.loads((calibrated_model / META_FILE).read_text())
    head = meta["theme_head"]
    assert 0.0 <= head["weight"] <= 1.0 and head["temperature"] > 0 and head["chosen_on"]["examples"] >= 20
    assert (calibrated_model / HEAD_FILE).is_file() == (head["weight"] > 0)
    triage = meta["triage"]
    assert triage["target"] == 0.92 and 0.0 <= triage["threshold"] <= 1.0 and triage["examples"] >= 20
    assert set(meta["actor"]["thresholds"]) == {"generic", "place", "alone"}
    classifier = Classifier.load(calibrated_model)
    assert classifier.triage_threshold == triage["threshold"]
    assert classifier.calibration.weight == head["weight"]
    assert classifier.calibration.temperature == pytest.approx(head["temperature"])


def test_without_enough_development_examples_nothing_is_calibrated(trained_model: Path) -> None:
    meta = json.loads((trained_model / META_FILE).read_text())
    assert meta["theme_head"]["weight"] == 0.0 and meta["theme_head"]["temperature"] == 1.0
    assert meta["triage"] is None and Classifier.load(trained_model).triage_threshold is None


def test_the_stored_calibration_is_what_classify_uses(calibrated_model: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / calibrated_model.name
    shutil.copytree(calibrated_model, copy)
    text = "dem polis collect money before dem free my broda"
    before = Classifier.load(copy).classify(text)
    meta = json.loads((copy / META_FILE).read_text())
    meta["theme_head"]["temperature"] *= 4
    (copy / META_FILE).write_text(json.dumps(meta))
    after = Classifier.load(copy).classify(text)
    assert after.theme == before.theme and after.confidence < before.confidence


def _config_with_dropout(source: Path, target: Path, dropout: float) -> Path:
    config = load_config(source)
    config["training"]["dropout"] = dropout
    config.to_disk(target)
    return target


def test_dropout_reaches_the_model(fixture_corpus: Path, fast_config: Path, tmp_path: Path) -> None:
    examples = read_examples([fixture_corpus])
    texts = ["the officer took a bribe at the checkpoint", "no salary for months in the barracks"]
    plain = train_pipeline(examples, _config_with_dropout(fast_config, tmp_path / "d0.cfg", 0.0))
    dropped = train_pipeline(examples, _config_with_dropout(fast_config, tmp_path / "d5.cfg", 0.5))
    assert [d.cats for d in plain.nlp.pipe(texts)] != [d.cats for d in dropped.nlp.pipe(texts)]
    again = train_pipeline(examples, _config_with_dropout(fast_config, tmp_path / "d5b.cfg", 0.5))
    assert [d.cats for d in dropped.nlp.pipe(texts)] == [d.cats for d in again.nlp.pipe(texts)]  # reproducible
