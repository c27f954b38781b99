"""Whether a complaint speaks of a danger now, the factor training chooses for texts that do not, and how a
model reads its urgency scores with it."""
from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import numpy
import pytest

from civicwatch.classify import immediacy
from civicwatch.classify.classifier import Classifier
from civicwatch.classify.corpus import corpus_files, read_examples
from civicwatch.classify.files import META_FILE
from civicwatch.classify.immediacy import immediacy_factor, speaks_of_now
from civicwatch.classify.training import (
    IMMEDIACY_FACTORS,
    choose_immediacy_factor,
    high_recall_precision,
    with_immediacy,
)

ONGOING = [
    "They are beating my brother at the Kenema police station right now, please come",
    "My son was arrested on Friday and he is still in the cell with no charge",
    "police officers took my husband yesterday and we cannot find him anywhere",
    "The soldier said he will kill my father tonight if we do not pay",
    "my pikin de bleed inside di cell, polis no carry am hospital",
    "polis hold my broda since yestade, dem no tell we weh e dey",
    "dem say dem go cam back tunite fo burn di house",
    "Mon frère est toujours en cellule depuis hier, sans inculpation",
    "Les gendarmes l'ont arrêté, personne ne sait où il est, il a disparu",
    "The hearing is in three days and the men who threaten me know my house",
    "He was shot in the leg and has not been seen by a doctor",
]
OVER = [
    "My brother was beaten at the police station last year. He was released in 2019 and is well.",
    "Soldiers tortured my uncle in 2015. He lives in Freetown and nobody troubles him.",
    "dem bit mi broda las yaa, e don wel, but nobody pay fo di hospital bill",
    "The officer took a bribe of 200,000 leones from me at the checkpoint in March.",
    "Il a été battu par les gendarmes l'année dernière, il est libre et en bonne santé.",
    "They held my cousin for two weeks in 2021 without a lawyer. He came home and works again.",
]


@pytest.mark.parametrize("text", ONGOING)
def test_a_danger_now_or_soon_is_read_as_now(text: str) -> None:
    assert speaks_of_now(text)
    assert immediacy_factor(text, 0.4) == 1.0


@pytest.mark.parametrize("text", OVER)
def test_harm_that_is_over_is_not_read_as_now(text: str) -> None:
    assert not speaks_of_now(text)
    assert immediacy_factor(text, 0.4) == 0.4


def test_cues_are_whole_words() -> None:
    """"now" inside "known" or "snow", "still" inside "distilled": no cue."""
    for text in ("It is well known that the station was corrupt in 2010.",
                 "The snow of papers at the ministry was distilled into one report last year."):
        assert not speaks_of_now(text)
    assert speaks_of_now("NOW they are at my door")


def test_the_factor_that_ranks_urgent_examples_highest_is_chosen() -> None:
    """Non-urgent examples that tell a harm that is over score high; speaking of now tells them apart."""
    truth = numpy.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    scores = numpy.array([0.9, 0.6, 0.5, 0.4, 0.8, 0.7, 0.65, 0.2, 0.1, 0.05])
    now = numpy.array([True, True, True, True, False, False, False, True, False, False])
    factor, report = choose_immediacy_factor(truth, scores, now)
    assert factor < 1.0
    assert report["high_recall_precision"][str(factor)] == 1.0 > report["high_recall_precision"]["1.0"]
    assert report["average_precision"][str(factor)] == 1.0 > report["average_precision"]["1.0"]
    assert report["speaking_of_now"] == {"urgent": 4, "of_urgent": 4, "not_urgent": 1, "of_not_urgent": 6}
    assert with_immediacy(scores, now, 0.5).tolist() == pytest.approx(
        [0.9, 0.6, 0.5, 0.4, 0.4, 0.35, 0.325, 0.2, 0.05, 0.025])


def test_high_recall_precision_reads_the_lowest_urgent_examples() -> None:
    """Ten urgent examples: from a recall of 0.9 on, the precision at the 9th and the 10th count."""
    truth = numpy.array([1] * 8 + [0, 1, 0, 0, 1])
    scores = numpy.linspace(1.0, 0.0, len(truth))
    assert high_recall_precision(truth, scores) == pytest.approx((9 / 10 + 10 / 13) / 2)
    assert high_recall_precision(truth, scores, from_recall=0.0) == pytest.approx((8 + 9 / 10 + 10 / 13) / 10)
    assert high_recall_precision(numpy.zeros(3), numpy.ones(3)) == 0.0


def test_without_a_difference_the_scores_are_left_alone() -> None:
    """When speaking of now does not tell urgent examples apart, 1 (the largest among equals) is chosen."""
    truth = numpy.array([1, 0, 1, 0])
    scores = numpy.array([0.9, 0.8, 0.7, 0.1])
    assert choose_immediacy_factor(truth, scores, numpy.ones(4, dtype=bool))[0] == 1.0
    assert 1.0 in IMMEDIACY_FACTORS


def _copy_with_factor(source: Path, target: Path, factor: float | None) -> Classifier:
    shutil.copytree(source, target)
    meta = json.loads((target / META_FILE).read_text())
    if factor is None:
        meta["urgency"].pop("immediacy_factor", None)
    else:
        meta["urgency"]["immediacy_factor"] = factor
    (target / META_FILE).write_text(json.dumps(meta))
    return Classifier.load(target)


def test_the_model_scales_only_texts_that_speak_of_no_danger_now(trained_model: Path, tmp_path: Path) -> None:
    plain = _copy_with_factor(trained_model, tmp_path / "plain", 1.0)
    older = _copy_with_factor(trained_model, tmp_path / "older", None)  # a model from before the factor
    scaled = _copy_with_factor(trained_model, tmp_path / "scaled", 0.5)
    now = "The police are beating my brother in the cell right now in Kenema"
    over = "The police beat my brother in the cell in Kenema last year"
    assert speaks_of_now(now) and not speaks_of_now(over)
    for text in (now, over):
        assert older.classify(text).urgency_score == plain.classify(text).urgency_score
    assert scaled.classify(now).urgency_score == plain.classify(now).urgency_score
    assert scaled.classify(over).urgency_score == pytest.approx(plain.classify(over).urgency_score / 2, abs=1e-4)
    # The decision reads the scaled score: the same text, just above the threshold unscaled, is no longer urgent.
    threshold = plain.classify(over).urgency_score
    assert threshold is not None
    for classifier in (plain, scaled):
        classifier.urgency_threshold = threshold
    assert plain.classify(over).urgent and not scaled.classify(over).urgent


@pytest.mark.parametrize("text", [
    "mi pikin nor kam os sins dem arest am, wi nor no usay i de",
    "Il saigne et les gardiens refusent de l'amener à l'hôpital, venez vite",
    "soja shoot one boy 1hr ago e de lie down for road",
    "dem no gree release am, e get asthma",
])
def test_krio_french_and_recent_cues_from_the_training_files(text: str) -> None:
    assert speaks_of_now(text)


@pytest.mark.parametrize("text", [
    "polis lok mi anti sins Fraide na Bo, dem se wet fo di OC",
    "soja dem ol mi kozin sins 5 dez na di kamp",
    "my uncle detain for kenema sinc yestaday and dem no tell we notin",
    "dem carry my broda from di market, we no sabi weh dem take am",
    "they arrested my son on the road and we do not know which station has him",
    "di polis se wi nor fit si am, no food no water",
    "men in uniform took my father and we no know if e dey alive",
    "Mon mari a été pris par des militaires, personne ne dit où il se trouve et son téléphone est éteint",
    "Ma mère a été arrêtée hier, je crains pour sa vie",
    "My brother is in the cell and is not eating, the officers laugh",
    "dem say pay 300k before dem release am, e head open",
])
def test_held_missing_or_unfed_now_in_the_ways_the_training_files_say_it(text: str) -> None:
    """Krio "sins" with a day, Krio weekdays, nobody knowing where or whether a person is alive, a person no one may
    see, not eating, a release held back until a payment: the cues missed these in training files' urgent texts."""
    assert speaks_of_now(text)


@pytest.mark.parametrize("text", [
    "polis bit mi broda sins las yaa, e don wel",
    "Il a été détenu deux semaines l'an dernier sans avocat, puis relâché",
    "the new vehicle for the station, we nor si am for two months",
])
def test_words_near_the_new_cues_that_tell_of_no_danger_now(text: str) -> None:
    assert not speaks_of_now(text)


@pytest.mark.parametrize("text", [
    "dem lock my broda 3 days no charge, e don cam home now",
    "The soldiers held my husband for a week without charge. He has been released and is at home now.",
    "polis ol mi anti sins Monde, dem free am yestade",
    "my son was beaten in the cell, he is healed now",
    "Mon frère était toujours en cellule la semaine passée, il est libre depuis dimanche",
])
def test_a_danger_told_as_over_since_is_not_read_as_now(text: str) -> None:
    """The corpus rule's own words for a danger that is over (released since, free since, came home, healed): a
    text that says so speaks of no danger now, whatever time word it also has."""
    assert not speaks_of_now(text)


def test_while_alone_is_no_cue() -> None:
    """"while" told of no urgent training text that no other cue found, and was the only cue of 51 others."""
    assert not speaks_of_now("The sergeant slapped my brother while he was writing his statement last year")
    assert not speaks_of_now("dem tif di fuel while di OC de travel")
    assert speaks_of_now("they are beating him while we wait outside the station")


def _cue_words() -> list[str]:
    """Every word of the cues' and the over words' spelling (letters, digits, apostrophes and accents), and parts
    of them."""
    words = sorted(set(re.findall(r"[\w']+", " ".join(immediacy._CUES + immediacy._OVER))) - {"w"})
    return words + [word[:-1] for word in words if len(word) > 2] + [word + "s" for word in words[::3]]


def test_the_compiled_cues_find_what_the_written_alternation_finds() -> None:
    """The cues are compiled in whatever form is fastest: the compiled cues find one in a text exactly when the
    plain alternation of the written cues, between the same word limits, does, and so do the words of a danger
    over. Read on every corpus text and on 30,000 texts made of the cues' own words, parts of them and
    separators."""
    written = re.compile(r"(?<![\w'])(?:" + "|".join(immediacy._CUES) + r")(?![\w'])")
    written_over = re.compile(r"(?<![\w'])(?:" + "|".join(immediacy._OVER) + r")(?![\w'])")
    texts = [example.text.lower() for example in read_examples(corpus_files())]
    words = _cue_words()
    separators = [" ", " ", " ", "  ", ", ", ".", "!", "'", "-", "\n", ""]
    generator = random.Random(0)
    for _ in range(30_000):
        picked = [generator.choice(words) for _ in range(generator.randint(1, 6))]
        texts.append("".join(word + generator.choice(separators) for word in picked).strip(" "))
    found = [immediacy._PATTERN.search(text) is not None for text in texts]
    assert found == [written.search(text) is not None for text in texts]
    assert 0.1 < sum(found) / len(found) < 0.9
    over = [immediacy._OVER_PATTERN.search(text) is not None for text in texts]
    assert over == [written_over.search(text) is not None for text in texts]
    assert any(over)
