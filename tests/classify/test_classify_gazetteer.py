"""Finding actors and places with the taxonomy's terms, tolerant of case and misspellings."""
from __future__ import annotations

import pytest
import spacy
from flask import Flask

from civicwatch.classify.gazetteer import (
    Gazetteer,
    GazetteerTerms,
    Places,
    edit_distance_at_most_one,
    terms_from_taxonomy,
)
from civicwatch.classify.queries import gazetteer_terms
from civicwatch.taxonomy.operations import read_taxonomy


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    nlp = spacy.blank("en")
    return Gazetteer(terms_from_taxonomy(read_taxonomy()), nlp.vocab, nlp.make_doc,
                     common_words=["order", "harder", "policy", "garden"])


def find(gazetteer: Gazetteer, text: str) -> Places:
    return gazetteer.find(gazetteer.make_doc(text))


@pytest.mark.parametrize(
    ("text", "actor", "region", "district"),
    [
        ("The police beat me in Kenema", "police", "eastern", "kenema"),
        ("THE POLICE BEAT ME IN KENEMA", "police", "eastern", "kenema"),
        ("sojas beat my broda for kenama", "military", "eastern", "kenema"),  # misspellings listed as terms
        ("dem lock me fo freetwon", None, "western_area", "western_area_urban"),
        ("a prison officer slapped my son", "corrections", None, None),  # the longest term wins over "officer"
        ("customs officers at the border post took my goods", "border", None, None),
        ("Something happened in the Northern Province", None, "northern", None),
        ("nothing to see here", None, None, None),
        ("soldiers and police, then more soldiers", "military", None, None),  # the most mentioned
        ("police and soldiers", "police", None, None),  # a tie: the first mentioned
        ("Port Loko and then Lunsar", None, "north_west", "port_loko"),
        ("Kenema, Kenema and once Makeni", None, "eastern", "kenema"),
    ],
)
def test_finds_terms(gazetteer: Gazetteer, text: str, actor: str | None, region: str | None,
                     district: str | None) -> None:
    assert find(gazetteer, text) == Places(actor, region, district)


@pytest.mark.parametrize(
    ("text", "actor", "region", "district"),
    [
        ("les gendarmes ont frappé mon fils au barrage de Gbalamuya", "police", "north_west", "kambia"),
        ("Le commandant de brigade protège le trafiquant", "police", None, None),  # not the army's brigade
        ("policier m a pris mon argent au commissariat", "police", None, None),
        ("l'armée garde mon cousin dans la caserne", "military", None, None),  # elided article, one token
        ("les militaires de Koidu louent les camions", "military", "eastern", "kono"),
        ("des agents des services de renseignement ont emmené mon mari", "intelligence", None, None),
        ("hommes de la sûreté de l'État devant chez moi", "intelligence", None, None),
        ("mon père est à la maison d'arrêt depuis deux ans", "corrections", None, None),
        ("les gardiens de prison le frappent la nuit", "corrections", None, None),
        ("agents penitentiaires sans logement", "corrections", None, None),  # no accents, as often texted
        ("les douaniers demandent 50 000 leones", "border", None, None),
        ("la police des frontières garde ma femme", "border", None, None),  # the longest term wins
        # Generic and place words alone name no service.
        ("les agents au barrage nous insultent", None, None, None),
        ("les hommes en tenue ont brûlé mon bras", None, None, None),
        ("pas d'agents au poste frontière la nuit", None, None, None),
        ("dans la province de l'Est", None, "eastern", None),
    ],
)
def test_finds_french_terms(gazetteer: Gazetteer, text: str, actor: str | None, region: str | None,
                            district: str | None) -> None:
    assert find(gazetteer, text) == Places(actor, region, district)


@pytest.mark.parametrize("text", ["The children study under the bulb in the corridor",
                                  "the new policies of the ministry", "he was armed with a knife"])
def test_french_terms_do_not_touch_english(gazetteer: Gazetteer, text: str) -> None:
    places = find(gazetteer, text)
    assert places.actor is None and places.district is None


@pytest.mark.parametrize(
    ("text", "actor", "district"),
    [
        ("the soldeirs came at night", "military", None),  # two letters swapped
        ("policee came to Kenemma", "police", "kenema"),  # a letter added
        ("they took him to Makni", None, None),  # too short to correct (four letters)
        ("in Freetowm yesterday", None, "western_area_urban"),  # a letter changed
        ("immigratin officers", "border", None),  # a letter dropped
    ],
)
def test_corrects_unseen_misspellings_of_long_words(gazetteer: Gazetteer, text: str, actor: str | None,
                                                    district: str | None) -> None:
    places = find(gazetteer, text)
    assert (places.actor, places.district) == (actor, district)


@pytest.mark.parametrize("text", ["by order of the court", "it was harder than ever", "the new policy",
                                  "a garden party", "The Mayor spoke", "a kroo boy"])
def test_does_not_correct_real_words(gazetteer: Gazetteer, text: str) -> None:
    """Common words and words with another first letter are not taken for misspellings of terms."""
    places = find(gazetteer, text)
    assert places.actor is None and places.district is None


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("freetown", "freetwon", True), ("kenema", "kenemma", True), ("kenema", "kenma", True),
     ("police", "polise", True), ("police", "plocie", False), ("abc", "abcde", False), ("same", "same", True)],
)
def test_edit_distance_at_most_one(a: str, b: str, expected: bool) -> None:
    assert edit_distance_at_most_one(a, b) is expected
    assert edit_distance_at_most_one(b, a) is expected


def test_terms_round_trip_and_fingerprint() -> None:
    terms = terms_from_taxonomy(read_taxonomy())
    again = GazetteerTerms.from_dict(terms.as_dict())
    assert again == terms and again.fingerprint() == terms.fingerprint()
    assert "prison service" in terms.actors["corrections"]  # names count as terms
    changed = GazetteerTerms.from_dict({**terms.as_dict(), "actors": {"police": ["cops"]}})
    assert changed.fingerprint() != terms.fingerprint()


def test_a_deployment_can_bring_its_own_terms() -> None:
    nlp = spacy.blank("en")
    terms = GazetteerTerms(actors={"gendarmerie": ("gendarmes", "gendarmerie")},
                           regions={"sahel": ("sahel",)}, districts={"gao": ("gao",)},
                           district_regions={"gao": "sahel"})
    gazetteer = Gazetteer(terms, nlp.vocab, nlp.make_doc)
    assert gazetteer.find(nlp.make_doc("Les GENDARMES de Gao")) == Places("gendarmerie", "sahel", "gao")


@pytest.mark.parametrize(
    ("text", "actor"),
    [
        ("NIA men took my husband from the house", "intelligence"),
        ("Di NIA pipul dem kam na mi os", "intelligence"),
        ("dem bit am nia di makit", None),  # Krio "nia" is "near", not the agency
        ("Nia di stesin dem tek mi fon", None),  # nor at the start of a sentence
        ("The LUC at Bo collected money", "police"),
        ("mon cousin Luc a disparu", None),  # a French first name
    ],
)
def test_terms_in_capitals_match_only_capitals(gazetteer: Gazetteer, text: str, actor: str | None) -> None:
    assert find(gazetteer, text).actor == actor


def test_database_terms_keep_capitals_and_lower_case_the_rest(app: Flask) -> None:
    terms = gazetteer_terms()
    assert "NIA" in terms.actors["intelligence"] and "nia" not in terms.actors["intelligence"]
    assert "police" in terms.actors["police"] and "LUC" in terms.actors["police"]
