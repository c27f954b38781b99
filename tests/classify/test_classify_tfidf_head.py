"""The TF-IDF theme head: trained with the pipeline, its weight chosen on the development split (0 allowed),
saved as data (JSON and plain arrays, never pickle) and read back with the same scores."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy
import pytest
from spacy.util import load_config

from civicwatch.classify.classifier import Classifier, ModelLoadError, model_meta
from civicwatch.classify.corpus import read_examples
from civicwatch.classify.files import META_FILE
from civicwatch.classify.gazetteer import terms_from_taxonomy
from civicwatch.classify.registry import new_version, save_model
from civicwatch.classify.smoothed import LINEAR_WEIGHTS, Calibration, choose_calibration, softmax
from civicwatch.classify.text import prepare_text
from civicwatch.classify.tfidf import ARRAYS_FILE, TOKEN, VOCABULARY_FILE, TfidfHead
from civicwatch.classify.training import TrainedPipeline, train_pipeline
from civicwatch.taxonomy.operations import read_taxonomy
from tests.classify.fixtures import THEME_TEXTS, fixture_examples, write_fast_config, write_jsonl

TEXTS = [text for texts in THEME_TEXTS.values() for text in texts] + [
    "The polcie beat my son near Freetwon and the OC laughed",
    "dem polis collect money before dem free my broda",
    "soldiers took our goats at the border post and nobody paid",
]
BAD = {"empty": "", "emoji": "😡😡😡🚓🚓🙏", "binary": bytes(range(256)).decode("latin-1"),
       "bytes": b"\xff\xfe\xfa\x00\x81", "100 KB": "the police came and " * 5_000 + "x" * 2_400}


def test_the_head_learns_words_and_word_pairs() -> None:
    texts = ["police beat me at the station", "police beat my brother", "no salary paid since march",
             "salary not paid this month"] * 3
    head = TfidfHead.fit(texts, numpy.array([0, 0, 1, 1] * 3), 3, c=10.0)
    assert head is not None
    posterior = numpy.exp(head.log_posteriors(["they beat him", "my salary", "nothing known here"]))
    assert posterior[0].argmax() == 0 and posterior[1].argmax() == 1
    assert posterior[:, 2].max() < 1e-6  # a label never seen in training gets (almost) nothing
    assert numpy.allclose(posterior.sum(axis=1), 1.0)


def test_texts_without_two_shared_words_train_no_head() -> None:
    assert TfidfHead.fit(["a", "b"], numpy.array([0, 1]), 2, c=10.0) is None


def test_a_linear_weight_of_0_gives_exactly_the_two_head_scores() -> None:
    rng = numpy.random.default_rng(3)
    textcat, nb_log = softmax(rng.normal(size=(50, 4))), numpy.log(softmax(rng.normal(size=(50, 4))))
    linear_log = numpy.log(softmax(rng.normal(size=(50, 4))))
    two = Calibration(0.4, 0.01, 1.7)
    assert numpy.array_equal(replace(two, linear_weight=0.0).combine(textcat, nb_log, linear_log),
                             two.combine(textcat, nb_log))
    assert not numpy.array_equal(replace(two, linear_weight=0.3).combine(textcat, nb_log, linear_log),
                                 two.combine(textcat, nb_log))


def test_the_weight_of_the_tfidf_head_follows_the_held_out_examples() -> None:
    rng = numpy.random.default_rng(4)
    gold = rng.integers(0, 4, size=400)
    weak = softmax(numpy.eye(4)[gold] * 0.5 + rng.normal(size=(400, 4)))
    strong = numpy.log(softmax(numpy.eye(4)[gold] * 3 + rng.normal(size=(400, 4))))
    noise = numpy.log(softmax(rng.normal(size=(400, 4))))
    calibration, report = choose_calibration(weak, {0.01: noise}, gold, noise)
    assert calibration.linear_weight == 0.0 and calibration.weight == 0.0  # useless heads get no weight
    assert report["without_linear"]["weight"] == 0.0
    calibration, report = choose_calibration(weak, {0.01: noise}, gold, strong)
    assert calibration.linear_weight >= 0.5 and report["log_loss"] < report["without_linear"]["log_loss"]


def _train(directory: Path) -> TrainedPipeline:
    corpus = write_jsonl(directory / "fixture.jsonl", fixture_examples())
    config = load_config(write_fast_config(directory / "fast.cfg"))
    config["civicwatch"]["dev_percent"] = 30
    config.to_disk(directory / "calibrated.cfg")
    return train_pipeline(read_examples([corpus]), directory / "calibrated.cfg")


def _save(trained: TrainedPipeline, root: Path) -> Path:
    return save_model(trained, {**model_meta(trained), "label_field": "theme"},
                      terms_from_taxonomy(read_taxonomy()), root, new_version("7f1df00d"), [])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainedPipeline:
    return _train(tmp_path_factory.mktemp("tfidf-trained"))


@pytest.fixture(scope="module")
def with_head(trained: TrainedPipeline) -> TrainedPipeline:
    """The trained pipeline with the TF-IDF head certainly in use: as trained when training chose a weight above 0,
    else fitted on the training texts as training fits it, at a weight set here."""
    if trained.tfidf_head is not None:
        return trained
    rows = fixture_examples()
    head = TfidfHead.fit([prepare_text(row["text"]) for row in rows],
                         numpy.asarray([trained.labels.index(row["theme"]) for row in rows]), len(trained.labels), 10.0)
    return replace(trained, tfidf_head=head, calibration=replace(trained.calibration, linear_weight=0.5))


def test_training_chooses_and_stores_the_tfidf_weight(trained: TrainedPipeline, tmp_path: Path) -> None:
    directory = _save(trained, tmp_path)
    head = json.loads((directory / META_FILE).read_text())["theme_head"]
    assert head["linear_weight"] in LINEAR_WEIGHTS and "without_linear" in head["chosen_on"]
    assert (directory / ARRAYS_FILE).is_file() == (head["linear_weight"] > 0)
    assert (directory / VOCABULARY_FILE).is_file() == (head["linear_weight"] > 0)


def test_the_head_saves_and_loads_with_identical_scores(with_head: TrainedPipeline, tmp_path: Path) -> None:
    directory = _save(with_head, tmp_path)
    assert json.loads((directory / META_FILE).read_text())["theme_head"]["linear_weight"] > 0
    in_memory = Classifier.from_pipeline(with_head, terms_from_taxonomy(read_taxonomy()), "in memory")
    loaded = Classifier.load(directory)
    assert loaded.tfidf_head is not None
    assert [r.scores for r in loaded.classify_many(TEXTS)] == [r.scores for r in in_memory.classify_many(TEXTS)]
    docs = list(with_head.nlp.pipe(TEXTS))
    assert numpy.array_equal(loaded.theme_probabilities(docs), in_memory.theme_probabilities(docs))
    # The head moves the scores: without it they are not the same.
    two_heads = Classifier.from_pipeline(replace(with_head, tfidf_head=None),
                                         terms_from_taxonomy(read_taxonomy()), "two heads")
    assert [r.scores for r in two_heads.classify_many(TEXTS)] != [r.scores for r in loaded.classify_many(TEXTS)]


def test_a_weight_of_0_reads_exactly_the_two_head_scores(with_head: TrainedPipeline, tmp_path: Path) -> None:
    directory = _save(with_head, tmp_path)
    meta = json.loads((directory / META_FILE).read_text())
    meta["theme_head"]["linear_weight"] = 0.0
    (directory / META_FILE).write_text(json.dumps(meta))
    loaded = Classifier.load(directory)
    two_heads = Classifier.from_pipeline(replace(with_head, tfidf_head=None, calibration=replace(
        with_head.calibration, linear_weight=0.0)), terms_from_taxonomy(read_taxonomy()), "two heads")
    assert loaded.tfidf_head is None
    assert [r.scores for r in loaded.classify_many(TEXTS)] == [r.scores for r in two_heads.classify_many(TEXTS)]


def test_a_model_from_before_the_head_still_loads(with_head: TrainedPipeline, tmp_path: Path) -> None:
    """No TF-IDF files and no linear_weight in meta.json, as models saved before the head: the two-head mix."""
    directory = _save(with_head, tmp_path)
    (directory / ARRAYS_FILE).unlink()
    (directory / VOCABULARY_FILE).unlink()
    meta = json.loads((directory / META_FILE).read_text())
    del meta["theme_head"]["linear_weight"]
    (directory / META_FILE).write_text(json.dumps(meta))
    loaded = Classifier.load(directory)
    assert loaded.tfidf_head is None and loaded.calibration.linear_weight == 0.0
    two_heads = Classifier.from_pipeline(replace(with_head, tfidf_head=None, calibration=replace(
        with_head.calibration, linear_weight=0.0)), terms_from_taxonomy(read_taxonomy()), "two heads")
    assert [r.scores for r in loaded.classify_many(TEXTS)] == [r.scores for r in two_heads.classify_many(TEXTS)]


def test_a_pickled_array_in_the_head_file_is_refused(with_head: TrainedPipeline, tmp_path: Path) -> None:
    """The model directory is data a deployment ships: arrays that would need pickle to read are not read."""
    directory = _save(with_head, tmp_path)
    with numpy.load(directory / ARRAYS_FILE) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["coef"] = numpy.array([{"not": "numbers"}], dtype=object)
    numpy.savez(directory / ARRAYS_FILE, **arrays, allow_pickle=True)
    with pytest.raises(ModelLoadError):
        Classifier.load(directory)


@pytest.mark.parametrize("damage", ["vocabulary not a mapping", "arrays of another size", "cut short"])
def test_a_damaged_head_is_a_clear_load_error(with_head: TrainedPipeline, tmp_path: Path, damage: str) -> None:
    directory = _save(with_head, tmp_path)
    if damage == "vocabulary not a mapping":
        (directory / VOCABULARY_FILE).write_text("[1, 2, 3]")
    elif damage == "arrays of another size":
        vocabulary = json.loads((directory / VOCABULARY_FILE).read_text())
        vocabulary.popitem()
        (directory / VOCABULARY_FILE).write_text(json.dumps(vocabulary))
    else:
        (directory / ARRAYS_FILE).write_bytes((directory / ARRAYS_FILE).read_bytes()[:100])
    with pytest.raises(ModelLoadError):
        Classifier.load(directory)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_still_goes_to_triage(with_head: TrainedPipeline, tmp_path: Path, name: str) -> None:
    classifier = Classifier.load(_save(with_head, tmp_path))
    assert classifier.tfidf_head is not None
    result = classifier.classify(BAD[name])
    if name == "100 KB":  # long but ordinary English: read normally, in one piece
        assert result.theme is not None and sum(result.scores.values()) == pytest.approx(1.0, abs=1e-3)
    else:
        assert result.theme is None and result.confidence == 0.0 and result.urgent is False
    shutil.rmtree(tmp_path, ignore_errors=True)


def _fixture_head() -> TfidfHead:
    texts = [prepare_text(row["text"]) for row in fixture_examples()]
    labels = sorted({row["theme"] for row in fixture_examples()})
    head = TfidfHead.fit(texts, numpy.asarray([labels.index(row["theme"]) for row in fixture_examples()]),
                         len(labels), 10.0)
    assert head is not None
    return head


def _scikit_learn_log_posteriors(head: TfidfHead, texts: list[str]) -> numpy.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), vocabulary=head.vocabulary)
    vectoriser.idf_ = head.idf
    expected = numpy.asarray(vectoriser.transform(texts) @ head.coef.T, dtype="float64") + head.intercept
    expected -= expected.max(axis=1, keepdims=True)
    return expected - numpy.log(numpy.exp(expected).sum(axis=1, keepdims=True))


def test_the_head_reads_texts_as_scikit_learn_s_tfidf_vectoriser_does() -> None:
    """The head computes its TF-IDF vectors itself (scikit-learn's transform costs half a millisecond a call);
    they are the vectoriser's, to float32 precision."""
    head = _fixture_head()
    probes = [*TEXTS, "", "😀", "Éé ÉTÉ été police police police", "the police came and " * 500]
    assert numpy.abs(head.log_posteriors(probes) - _scikit_learn_log_posteriors(head, probes)).max() < 1e-4
    assert numpy.array_equal(head.log_posteriors(probes[:3]), head.log_posteriors(probes)[:3])


def test_a_pair_whose_words_the_vocabulary_lacks_is_read_too() -> None:
    """A batch looks word pairs up by their two words' columns, which finds every pair of a trained vocabulary
    (both words of a pair are in it); a vocabulary without one of them (written by hand) is read pair by pair,
    with the same scores as scikit-learn's."""
    head = _fixture_head()
    labels = len(head.intercept)
    edited = TfidfHead({**head.vocabulary, "zzz police": len(head.vocabulary)}, numpy.append(head.idf, 2.0),
                       numpy.hstack([head.coef, numpy.arange(labels, dtype="float64").reshape(labels, 1)]),
                       head.intercept)
    probes = ["zzz police beat my brother", "police zzz", "zzz", *TEXTS[:6], ""]
    scores = edited.log_posteriors(probes)
    assert numpy.abs(scores - _scikit_learn_log_posteriors(edited, probes)).max() < 1e-4
    assert not numpy.allclose(scores[0], head.log_posteriors(probes[:1])[0])
    assert numpy.array_equal(scores[1:], head.log_posteriors(probes[1:]))


def test_the_head_finds_the_words_scikit_learn_s_token_pattern_finds() -> None:
    import random
    import re

    from sklearn.feature_extraction.text import TfidfVectorizer

    pattern = re.compile(TfidfVectorizer().token_pattern)
    generator = random.Random(0)
    characters = "ab_1 .-'\u00e9\u0301\u0660\u4e00\u200d\U0001f600\u0628\u064b\u00b2"
    probes = [*TEXTS, *(str(text) for text in BAD.values()), "a b cd e_ 1 23 ab-cd ab'cd"]
    probes += ["".join(generator.choice(characters) for _ in range(generator.randint(0, 12))) for _ in range(5_000)]
    assert [TOKEN.findall(text) for text in probes] == [pattern.findall(text) for text in probes]
