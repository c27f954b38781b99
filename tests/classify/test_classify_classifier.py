"""Loading a trained model and classifying text, including text nobody should send."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import cast

import numpy
import pytest
from spacy.pipeline import TextCategorizer

from civicwatch.classify.architectures import docs_features, feature_layer
from civicwatch.classify.classifier import Classification, Classifier, ModelLoadError, load_classifier
from civicwatch.classify.files import META_FILE, PIPELINE_DIR
from civicwatch.classify.gazetteer import GazetteerTerms
from tests.classify.fixtures import THEME_TEXTS

THEMES = sorted(THEME_TEXTS)


@pytest.fixture(scope="module")
def classifier(trained_model: Path) -> Classifier:
    return Classifier.load(trained_model)


def test_classify_answers_every_field(classifier: Classifier) -> None:
    result = classifier.classify("The police beat my brother with batons in Kenema, he is bleeding")
    assert isinstance(result, Classification)
    assert result.theme in THEMES
    assert sorted(result.scores) == THEMES
    assert abs(sum(result.scores.values()) - 1.0) < 0.01
    assert result.confidence == result.scores[result.theme]
    assert (result.actor, result.region, result.district) == ("police", "eastern", "kenema")
    assert isinstance(result.urgent, bool) and 0.0 <= result.urgency_score <= 1.0
    assert result.model_version == classifier.version
    assert set(result.as_dict()) >= {"theme", "confidence", "scores", "actor", "region", "district", "urgent",
                                     "model_version"}


def test_classify_learned_the_themes(classifier: Classifier) -> None:
    """On the texts it was trained on, the tiny model is right almost every time."""
    texts = [(theme, text) for theme, items in THEME_TEXTS.items() for text in items]
    results = classifier.classify_many([text for _, text in texts])
    right = sum(1 for (theme, _), result in zip(texts, results, strict=False) if result.theme == theme)
    assert right / len(texts) > 0.85


def test_batches_give_the_same_answers_as_single_calls(classifier: Classifier) -> None:
    texts = ["dem no pay we salary since march", "", "officer demand bribe at checkpoint", "😀"]
    assert classifier.classify_many(texts, batch_size=2) == [classifier.classify(t) for t in texts]


BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \n\t  ",
    "emoji only": "😡😡😡🚓🚓🙏",
    "punctuation": "?!?!... ---",
    "100 KB": "the police came and " * 5_000 + "x" * 2_400,
    "another language": "Les gendarmes ont frappé mon frère devant la mairie hier soir sans raison",
    "binary garbage": bytes(range(256)).decode("latin-1"),
    "control characters": "\x00\x01\x02\x1b[31m\x7f",
    "one letter repeated": "a" * 100_000,
    "not a string": None,
    "bytes": b"\xff\xfe\xfa\x00\x81",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_never_crashes_and_is_not_trusted(classifier: Classifier, name: str) -> None:
    result = classifier.classify(BAD_INPUTS[name])
    assert result.model_version == classifier.version
    if name != "100 KB":  # long but ordinary English: read normally
        assert result.confidence < 0.5
        assert result.urgent is False


def test_unreadable_text_has_no_theme(classifier: Classifier) -> None:
    for text in ("", "😀😀", "Les gendarmes ont frappé mon frère devant la mairie hier soir"):
        result = classifier.classify(text)
        assert result.theme is None and result.confidence == 0.0 and result.notes


def test_a_model_is_loaded_once_per_process(trained_model: Path) -> None:
    first = load_classifier(trained_model)
    assert load_classifier(trained_model) is first


def test_with_terms_swaps_the_gazetteer_only(classifier: Classifier) -> None:
    terms = GazetteerTerms(actors={"rangers": ("park rangers", "ranger")}, regions={"coast": ("the coast",)},
                           districts={}, district_regions={})
    swapped = classifier.with_terms(terms)
    assert swapped.nlp is classifier.nlp and swapped is classifier.with_terms(terms)
    assert classifier.with_terms(classifier.gazetteer.terms) is classifier
    result = swapped.classify("a ranger beat me on the coast")
    assert (result.actor, result.region) == ("rangers", "coast")


@pytest.mark.parametrize("damage", ["no meta", "bad meta", "no pipeline", "no words"])
def test_a_broken_model_directory_does_not_load(trained_model: Path, tmp_path: Path, damage: str) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(trained_model, broken)
    if damage == "no meta":
        (broken / META_FILE).unlink()
    elif damage == "bad meta":
        (broken / META_FILE).write_text("{not json")
    elif damage == "no pipeline":
        shutil.rmtree(broken / PIPELINE_DIR)
    else:
        (broken / "words.json").unlink()
    with pytest.raises(ModelLoadError):
        Classifier.load(broken)


def test_meta_without_labels_does_not_load(trained_model: Path, tmp_path: Path) -> None:
    broken = tmp_path / "nolabels"
    shutil.copytree(trained_model, broken)
    meta = json.loads((broken / META_FILE).read_text())
    del meta["labels"]
    (broken / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError):
        Classifier.load(broken)


def test_a_text_weighed_alone_has_the_features_it_has_in_a_batch(classifier: Classifier) -> None:
    """One classify() call weighs its text on a shorter path than a batch does: the keys and values must be the
    same to the bit."""
    texts = [text for items in THEME_TEXTS.values() for text in items][:12] + ["pleeease help, polis beat me"]
    layer = feature_layer(cast(TextCategorizer, classifier.nlp.get_pipe("textcat")).model)
    assert layer is not None
    batch = docs_features(layer, [classifier.nlp.make_doc(text) for text in texts])
    for text, (keys, values) in zip(texts, batch, strict=True):
        alone_keys, alone_values = docs_features(layer, [classifier.nlp.make_doc(text)])[0]
        assert numpy.array_equal(alone_keys, keys) and numpy.array_equal(alone_values, values)
