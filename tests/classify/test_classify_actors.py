"""Who is complained about: named services win, generic and place words are weak evidence, the actor
classifier alone decides only above its threshold; compounds and abbreviations are taxonomy data."""
from __future__ import annotations

import pytest
import spacy

from civicwatch.classify.actors import ALONE, GENERIC, NAMED, PLACE, ActorThresholds, choose_actor, choose_thresholds
from civicwatch.classify.gazetteer import Gazetteer, terms_from_taxonomy
from civicwatch.taxonomy.operations import read_taxonomy

THRESHOLDS = ActorThresholds(generic=0.5, place=0.7, alone=0.9)
UNSURE = {"police": 0.3, "military": 0.3, "intelligence": 0.1, "corrections": 0.1, "border": 0.2}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    nlp = spacy.blank("en")
    return Gazetteer(terms_from_taxonomy(read_taxonomy()), nlp.vocab, nlp.make_doc)


def _actor(gazetteer: Gazetteer, text: str, probabilities: dict[str, float] | None = None) -> str | None:
    return choose_actor(gazetteer.mentions(gazetteer.make_doc(text)), probabilities, THRESHOLDS)


@pytest.mark.parametrize(("text", "actor"), [
    ("The soldiers came at night and the officer in command slapped me.", "military"),
    ("A military officer took my phone at the market.", "military"),
    ("The army officers at the junction beat the driver.", "military"),
    ("The OC refused to register my complaint.", "police"),
    ("The LUC at Kenema sent his boys to collect money.", "police"),
    ("OSD men fired tear gas into the school.", "police"),
    ("The prison officers beat the sergeant's brother.", "corrections"),
    ("Customs officers at the border post seized my goods.", "border"),
])
def test_a_named_service_wins_over_generic_and_place_words(gazetteer: Gazetteer, text: str, actor: str) -> None:
    assert _actor(gazetteer, text, UNSURE) == actor
    assert _actor(gazetteer, text, None) == actor  # with or without the actor classifier


@pytest.mark.parametrize(("text", "kind"), [
    ("The officer insulted my mother.", GENERIC),
    ("A sergeant demanded money.", GENERIC),
    ("They held me at the barracks for two days.", PLACE),
    ("He was beaten in the cell.", PLACE),
    ("At the border they took everything I had.", PLACE),
    ("Nobody came when we called for help.", ALONE),
])
def test_generic_and_place_words_are_weak_evidence(gazetteer: Gazetteer, text: str, kind: str) -> None:
    mentions = gazetteer.mentions(gazetteer.make_doc(text))
    assert not mentions[NAMED] and (mentions[kind] if kind != ALONE else True)
    assert _actor(gazetteer, text, UNSURE) is None  # the classifier is not sure enough: no actor
    assert _actor(gazetteer, text, {**UNSURE, "police": 0.95, "military": 0.95, "border": 0.95}) is not None


def test_a_generic_word_needs_less_agreement_than_a_place_word(gazetteer: Gazetteer) -> None:
    probabilities = {**UNSURE, "police": 0.6, "military": 0.6}
    assert _actor(gazetteer, "The officer insulted my mother.", probabilities) == "police"
    assert _actor(gazetteer, "They held me at the barracks.", probabilities) is None
    assert _actor(gazetteer, "They held me at the barracks.", {**probabilities, "military": 0.75}) == "military"
    assert _actor(gazetteer, "Nobody came.", {**probabilities, "military": 0.75}) is None
    assert _actor(gazetteer, "Nobody came.", {**probabilities, "military": 0.95}) == "military"


def test_without_an_actor_classifier_generic_words_decide_and_place_words_do_not(gazetteer: Gazetteer) -> None:
    assert _actor(gazetteer, "The sergeant demanded money.", None) == "police"
    assert _actor(gazetteer, "They held me at the barracks.", None) is None


def test_thresholds_are_chosen_on_held_out_examples() -> None:
    generic = {NAMED: [], GENERIC: [("police", 0)], PLACE: []}
    evidence = [generic] * 20
    # The classifier is right about the police above 0.6 and wrong (there is no actor) below it.
    probabilities = [{"police": 0.3 + 0.03 * i, "military": 0.0} for i in range(20)]
    gold = ["police" if p["police"] >= 0.6 else None for p in probabilities]
    thresholds, report = choose_thresholds(evidence, probabilities, gold)
    assert 0.55 < thresholds.generic <= 0.6
    assert report[GENERIC]["accuracy"] == 1.0 and report[GENERIC]["chosen_on_held_out"] == 1
    assert report[PLACE]["chosen_on_held_out"] == 0  # too few examples: the default stays


def test_actor_words_come_from_the_database(app) -> None:
    from sqlalchemy import select

    from civicwatch.classify.queries import gazetteer_terms
    from civicwatch.extensions import db
    from civicwatch.taxonomy.models import Actor

    terms = gazetteer_terms()
    assert "oc" in terms.actors["police"] and "officer" in terms.actor_generic["police"]
    assert "barracks" in terms.actor_places["military"] and "barracks" not in terms.actors["military"]
    police = db.session.scalar(select(Actor).where(Actor.code == "police"))
    police.generic_terms = [*police.generic_terms, "askari"]
    db.session.commit()
    assert "askari" in gazetteer_terms().actor_generic["police"]
