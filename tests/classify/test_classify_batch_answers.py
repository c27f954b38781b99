"""A batch gives every text exactly the answer one classify() call gives it: every corpus text and texts nobody
should send, in batches of several sizes, mixed together, and with a text repeated inside a batch."""
from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy
import pytest
from spacy.pipeline import TextCategorizer

from civicwatch.classify.architectures import docs_features, feature_layer
from civicwatch.classify.classifier import Classification, Classifier
from civicwatch.classify.corpus import corpus_files, read_examples
from civicwatch.classify.smoothed import FeatureRows, NaiveBayes
from civicwatch.classify.tfidf import TfidfHead
from tests.classify.fixtures import fixture_examples

HARD_INPUTS: list[object] = [
    "",
    "   \n\t  ",
    "the police came and " * 5_000 + "x" * 2_400,  # 102 KB, cut to 20,000 characters
    "a" * 100_000,
    "😡😡😡🚓🚓🙏",
    "police 👮🏾‍♂️ beat me 😭😭 at the checkpoint 🙏🏽",
    "الشرطة ضربت أخي أمام البلدية",
    "警察昨晚在检查站打了我的兄弟",
    "Полиция избила моего брата у мэрии",
    "पुलिस ने मेरे भाई को पीटा",
    "Les gendarmes ont frappé mon frère devant la mairie hier soir sans raison",
    bytes(range(256)).decode("latin-1"),
    "\x00\x01\x02\x1b[31m\x7f\ud800 officer",
    b"\xff\xfe\xfa\x00\x81",
    b"the soldiers took my phone in Kenema",
    None,
    12345,
    "pleeeeease heeeelp dem lock my broda fo Makeni cell since Monday!!!!",
    "NIA nia OC oc   polis\u00a0\u00a0 pollice\tPOLICE",
    "?!?!... ---",
]


@pytest.fixture(scope="module")
def classifier(trained_model: Path) -> Classifier:
    """The fixture model with every part a corpus model has switched on: the smoothed and TF-IDF theme heads
    (fitted on the fixture examples), a temperature, the immediacy factor and a triage threshold. Its training
    chose none of them for a hundred texts."""
    loaded = Classifier.load(trained_model)
    examples = fixture_examples()
    labels = list(loaded.labels)
    targets = numpy.asarray([labels.index(example["theme"]) for example in examples])
    texts = [example["text"] for example in examples]
    layer = feature_layer(cast(TextCategorizer, loaded.nlp.get_pipe("textcat")).model)
    assert layer is not None
    rows = FeatureRows.build(docs_features(layer, [loaded.nlp.make_doc(text) for text in texts]), 16384)
    head = NaiveBayes.fit(rows, targets, len(labels), 16384, 0.01, 0.5)
    tfidf_head = TfidfHead.fit(texts, targets, len(labels), 10.0)
    meta = {**loaded.meta, "theme_head": {"weight": 0.3, "smoothing": 0.01, "temperature": 0.8, "linear_weight": 0.5},
            "triage": {"threshold": 0.4},
            "urgency": {**loaded.meta["urgency"], "immediacy_factor": 0.3}}
    return Classifier(loaded.nlp, meta, loaded.gazetteer, loaded.word_counts, head,
                      complaint_word_ids=loaded.complaint_word_ids, tfidf_head=tfidf_head)


@pytest.fixture(scope="module")
def texts() -> list[object]:
    corpus: list[object] = [example.text for example in read_examples(corpus_files())]
    # The hard inputs spread through the corpus, so that batches hold them beside ordinary texts.
    step = len(corpus) // len(HARD_INPUTS)
    for i, text in enumerate(HARD_INPUTS):
        corpus.insert(i * step + i, text)
    return corpus


@pytest.fixture(scope="module")
def one_at_a_time(classifier: Classifier, texts: list[object]) -> list[Classification]:
    return [classifier.classify(text) for text in texts]


@pytest.mark.parametrize("batch_size", [256, 1, 7, 1000])
def test_every_batch_gives_the_single_answers(classifier: Classifier, texts: list[object],
                                              one_at_a_time: list[Classification], batch_size: int) -> None:
    batched = classifier.classify_many(texts, batch_size=batch_size)
    assert len(batched) == len(texts)
    differing = [i for i, (alone, in_batch) in enumerate(zip(one_at_a_time, batched, strict=True))
                 if alone != in_batch]
    assert differing == []


def test_a_text_repeated_in_a_batch_gets_the_same_answer_each_time(classifier: Classifier,
                                                                   texts: list[object]) -> None:
    sample = texts[:40:4] + HARD_INPUTS
    results = classifier.classify_many(sample + sample[::-1], batch_size=64)
    assert results[:len(sample)] == results[len(sample):][::-1]
    assert results[:len(sample)] == [classifier.classify(text) for text in sample]


def test_the_sample_exercises_every_part_of_an_answer(classifier: Classifier,
                                                      one_at_a_time: list[Classification]) -> None:
    """The comparison above means something only if the fixture model mixes its three theme heads and the texts
    reach every field."""
    assert classifier.head is not None and classifier.tfidf_head is not None and classifier.urgency_factor != 1.0
    assert {result.theme for result in one_at_a_time} - {None}
    assert any(result.theme is None and result.scores for result in one_at_a_time)  # unfamiliar words
    assert any(not result.scores for result in one_at_a_time)  # nothing to read
    assert any(result.urgent for result in one_at_a_time)
    assert any(result.actor for result in one_at_a_time) and any(result.district for result in one_at_a_time)
