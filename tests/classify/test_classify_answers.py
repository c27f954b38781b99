"""The classifier's answers on a fixed sample are exactly those recorded before its batch path was made faster:
every theme score, the urgency score, actor, region, district, notes, and every text's feature keys and values."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from civicwatch.classify.architectures import doc_features, feature_layer
from civicwatch.classify.classifier import Classifier
from tests.classify.fixtures import ANSWER_SAMPLE

RECORDED = json.loads((Path(__file__).parent / "data" / "classifier_answers.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def classifier(trained_model: Path) -> Classifier:
    return Classifier.load(trained_model)


def _answers(results: list) -> list[dict]:
    answers = []
    for result in results:
        answer = result.as_dict()
        answer.pop("model_version")
        answers.append(answer)
    return answers


def test_batch_answers_are_the_recorded_ones(classifier: Classifier) -> None:
    answers = _answers(classifier.classify_many(ANSWER_SAMPLE, batch_size=16))
    assert json.loads(json.dumps(answers)) == RECORDED["results"]


def test_one_text_at_a_time_gives_the_same_answers(classifier: Classifier) -> None:
    answers = _answers([classifier.classify(text) for text in ANSWER_SAMPLE])
    assert json.loads(json.dumps(answers)) == RECORDED["results"]


def test_feature_keys_and_values_are_the_recorded_ones(classifier: Classifier) -> None:
    layer = feature_layer(classifier.nlp.get_pipe("textcat").model)
    assert layer is not None
    digests = []
    for doc in classifier.nlp.pipe(ANSWER_SAMPLE):
        keys, values = doc_features(layer, doc)
        digests.append(hashlib.sha256(keys.astype("uint64").tobytes() + values.astype("float32").tobytes())
                       .hexdigest()[:16])
    assert digests == RECORDED["features"]
