"""Detecting the language of a complaint's text: script first, then the telling little words of English, French
and Krio as commonly texted. Table-driven; pure, no database."""
from __future__ import annotations

import pytest

from civicwatch.classify.language import UNDETERMINED, detect_language, detect_script, language_list, language_name

SAMPLES = [
    # (text, hint, language, script)
    ("The police officers beat my brother at the checkpoint and took his money.", None, "en", "latin"),
    ("Two soldiers asked me for money before they would let the bus go to Kenema.", None, "en", "latin"),
    ("Les policiers ont frappé mon frère au poste de contrôle et ont pris son argent.", None, "fr", "latin"),
    ("Un soldat m'a demandé de l'argent hier soir près du marché", None, "fr", "latin"),
    ("LES POLICIERS ONT PRIS MON TELEPHONE ET ILS NE VEULENT PAS LE RENDRE", None, "fr", "latin"),
    ("Di polis dem bit mi brɔda na di chekpoint ɛn tek in mɔni.", None, "kri", "latin"),
    ("Di polis dem beat mi broda na di checkpoint en tek im moni", None, "kri", "latin"),
    ("Soja dem kam na wi os yestade naw dem nor gi wi bak wi tin", None, "kri", "latin"),
    ("قام رجال الشرطة بضرب أخي عند نقطة التفتيش وأخذوا ماله", None, "ar", "arabic"),
    ("Полиция избила моего брата на блокпосту", None, UNDETERMINED, "other"),
    # Mixed: the language most of the telling words are in wins.
    ("The police took my phone. Ils ont frappé mon frère et pris son argent, je suis très inquiet.", None, "fr",
     "latin"),
    ("Police took my phone and beat my brother at the station on Friday, and they still have it. dem nor gi am bak",
     None, "en", "latin"),
    ("Police at checkpoint قام رجال الشرطة بضرب أخي عند نقطة التفتيش", None, "ar", "arabic"),
    # Too few telling words: the writer's own choice (page or phone) decides, else undetermined.
    ("Soldiers harassed traders at Lumley market", None, UNDETERMINED, "latin"),
    ("Soldiers harassed traders at Lumley market", "kri", "kri", "latin"),
    ("Soldiers harassed traders at Lumley market", "xx", UNDETERMINED, "latin"),
    # Two languages close: the hint breaks the tie; far apart, the text wins over the hint.
    ("the police beat my brother and tek am go", "en", "en", "latin"),
    ("the police beat my brother and tek am go", "kri", "kri", "latin"),
    ("Les policiers ont frappé mon frère au poste de contrôle.", "en", "fr", "latin"),
    # Bad input: no letters at all, or garbage.
    ("", None, UNDETERMINED, None),
    ("😡😡😡 !!! 🚓🚓", None, UNDETERMINED, None),
    ("12345 67890 ### ...", "en", UNDETERMINED, None),
    ("\x00\x01\x02\ufffd\ufffd\x7f", None, UNDETERMINED, None),
]


@pytest.mark.parametrize(("text", "hint", "language", "script"), SAMPLES)
def test_detects_the_language(text, hint, language, script) -> None:
    detected = detect_language(text, hint)
    assert (detected.language, detected.script) == (language, script), detected.scores


# Krio as people text it: phone spelling without the special letters, the letters ɛ and ɔ, and Krio with English
# words mixed in (a Krio writer borrows English freely; an English writer never writes "dem", "wetin" or "una").
KRIO_AS_TEXTED = [
    "polis dem bit mi broda na Kenema yestade bikos i nor gi dem moni",
    "mi na okada rayda, di polis dem tek mi bayk na Lumley ɛn se a fɔ pe 200k",
    "di sɔja dem na di chekpoint de tek mɔni pan ɔl motoka",
    "abeg una help me, my pikin dey for Kenema police cell since Friday and dem nor gree make we see am",
    "traffic police for Bo junction collect 5k from me, dem say na for di ribbon. no receipt",
    "customs man seize my goods at the border, e nor give receipt, e say I go pay 300k to get am back",
    "the soldiers at the checkpoint wey dey near the market collect money from all the traders, abeg una help",
    "Sir, I am writing about my brother. Police hold am for Makeni station 5 days, dem nor charge am, wetin we go do?",
]
# English that happens to hold a word Krio also writes ("nor", "na", "no", "go") stays English.
ENGLISH_WITH_KRIO_LOOKING_WORDS = [
    "The officers had neither a warrant nor a reason, and they kept my husband at the station for two days.",
    "Na the police station I went to report it, but nobody came to help us for three weeks.",
    "My son was beaten by soldiers at the checkpoint near Makeni and he is still in hospital.",
    "I did not go to the police because they said there was no point and they would not come.",
]


@pytest.mark.parametrize("text", KRIO_AS_TEXTED)
def test_krio_as_texted_is_krio(text: str) -> None:
    detected = detect_language(text)
    assert detected.language == "kri", detected.scores


@pytest.mark.parametrize("text", ENGLISH_WITH_KRIO_LOOKING_WORDS)
def test_english_with_krio_looking_words_stays_english(text: str) -> None:
    detected = detect_language(text)
    assert detected.language == "en", detected.scores


@pytest.mark.parametrize("value", [None, b"\xff\xfe binary", 42])
def test_anything_that_is_not_text_is_undetermined(value) -> None:
    assert detect_language(value).language == UNDETERMINED


def test_garbage_bytes_decoded_as_latin_1_do_not_crash() -> None:
    garbage = bytes(range(256)).decode("latin-1") * 20
    assert detect_language(garbage).language in {UNDETERMINED, "fr"}
    assert detect_script(garbage) == "latin"


@pytest.mark.parametrize(("code", "name"), [("en", "English"), ("fr", "French"), ("kri", "Krio"),
                                            ("ar", "Arabic"), (UNDETERMINED, "an undetermined language"),
                                            (None, "an undetermined language"), ("zz", "zz")])
def test_language_names(code, name) -> None:
    assert language_name(code) == name


@pytest.mark.parametrize(("codes", "sentence"), [([], ""), (["en"], "English"), (["en", "kri"], "English and Krio"),
                                                 (["en", "fr", "kri"], "English, French and Krio")])
def test_a_list_of_languages_reads_as_a_sentence(codes, sentence) -> None:
    assert language_list(codes) == sentence
