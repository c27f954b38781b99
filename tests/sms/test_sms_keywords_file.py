"""A deployment adds keywords without touching code: the `sms_keywords` section of its taxonomy file, loaded by
`load-taxonomy`, works on the next text (every process reads the taxonomy's version), and loading the file again
without a word takes it away. Mistakes are refused with one line each and nothing is changed; the carriers'
STOP words stay whatever the file says, and START stays START."""
from __future__ import annotations

import json
from typing import Any

import pytest
from flask_babel import force_locale

from civicwatch.extensions import db
from civicwatch.messaging.segments import prefer_gsm7
from civicwatch.sms.dialogue import Event, build_keywords, keyword_problems
from civicwatch.sms.replies import Reply, render_reply
from civicwatch.taxonomy.models import Setting
from civicwatch.taxonomy.operations import DEFAULT_TAXONOMY


def load(app, tmp_path, keywords: Any):
    data = json.loads(DEFAULT_TAXONOMY.read_text())
    if keywords is not None:
        data["sms_keywords"] = keywords
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(data))
    result = app.test_cli_runner().invoke(args=["civicwatch", "load-taxonomy", "--file", str(path)])
    db.session.expire_all()
    return result


def in_language(language: str, reply: Reply) -> str:
    with force_locale(language):
        return prefer_gsm7(render_reply(reply))


def test_a_keyword_added_in_the_file_works_after_loading_and_goes_when_removed(app, tmp_path, text, clock):
    assert text("SECOURS") == in_language("en", Reply.ASK_FOR_DETAILS)  # a few words of a report, before
    clock.advance(hours=2)
    result = load(app, tmp_path, {"help": {"fr": ["SECOURS"]}, "status": {"en": ["NEWS"]}, "stop": {"kri": ["DON"]}})
    assert result.exit_code == 0, result.output
    assert text("secours") == in_language("fr", Reply.HELP)  # in French, the file's language for it
    assert text("News") == in_language("fr", Reply.STATUS_NOT_FOUND)  # the phone now reads French
    assert text("AIDE") == in_language("fr", Reply.HELP)  # the built-in words stay
    assert load(app, tmp_path, {"status": {"en": ["NEWS"]}}).exit_code == 0
    clock.advance(hours=2)
    assert text("SECOURS") == in_language("fr", Reply.ASK_FOR_DETAILS)
    assert text("NEWS") == in_language("fr", Reply.STATUS_NOT_FOUND)


def test_a_file_word_takes_no_slips(app, tmp_path, text, clock):
    assert load(app, tmp_path, {"help": {"fr": ["SECOURS"]}}).exit_code == 0
    assert text("SECOUR") == in_language("en", Reply.ASK_FOR_DETAILS)


def test_a_file_stop_word_stops_texts(app, tmp_path, text, clock):
    assert load(app, tmp_path, {"stop": {"fr": ["DESABONNER"]}}).exit_code == 0
    assert text("désabonner") == in_language("fr", Reply.STOPPED)
    assert text("START") == in_language("fr", Reply.STARTED)


def stored() -> Any:
    setting = db.session.get(Setting, "sms_keywords")
    return setting.value if setting is not None else None


@pytest.mark.parametrize(("keywords", "line"), [
    ({"hlep": {"fr": ["SECOURS"]}}, "sms_keywords.hlep: not a command; use help, status, new, stop, fear, quiet, text_me, yes, no"),
    ({"start": {"fr": ["REPRENDRE"]}}, "sms_keywords.start: texts are turned on again only by START"),
    ({"help": {"de": ["HILFE"]}}, "sms_keywords.help.de: not a language of this deployment"),
    ({"help": {"fr": ["AIDE MOI"]}}, "sms_keywords.help.fr: 'AIDE MOI' is not a single word"),
    ({"help": {"fr": ["A1DE"]}}, "sms_keywords.help.fr: 'A1DE' is not a single word"),
    ({"help": {"fr": "SECOURS"}}, "sms_keywords.help.fr: must be a list of words"),
    ({"help": ["SECOURS"]}, "sms_keywords.help: must map language codes to lists of words"),
    ([], "sms_keywords: must be an object"),
    ({"help": {"fr": ["STATUT"]}}, "sms_keywords.help.fr: 'STATUT' is already a keyword of status"),
    ({"help": {"fr": ["ARRET"]}}, "sms_keywords.help.fr: 'ARRET' is already a keyword of stop"),
    ({"new": {"fr": ["START"]}}, "sms_keywords.new.fr: 'START' is already a keyword of start"),
    ({"fear": {"en": ["LANG"]}}, "sms_keywords.fear.en: 'LANG' is already a keyword of lang"),
    ({"help": {"fr": ["SECOURS"]}, "new": {"kri": ["Secours"]}},
     "sms_keywords.new.kri: 'Secours' is already a keyword of help"),
    ({"yes": {"fr": ["NON"]}}, "sms_keywords.yes.fr: 'NON' is already a keyword of no"),
    # A language the deployment does not have, with something other than a list of words: said, not a traceback.
    ({"help": {"de": 5}}, "sms_keywords.help.de: not a language of this deployment"),
    ({"help": {"de": [7]}}, "sms_keywords.help.de: not a language of this deployment"),
    ({"help": {"de": None}}, "sms_keywords.help.de: not a language of this deployment"),
    # One typing slip from STOP, which it would take from those who mistype their opt-out.
    ({"help": {"en": ["STOPE"]}}, "sms_keywords.help.en: 'STOPE' is one typing slip from STOP"),
    ({"new": {"fr": ["SATUS"]}}, "sms_keywords.new.fr: 'SATUS' is one typing slip from STATUS"),
])
def test_a_wrong_section_is_refused_with_one_line_and_nothing_changes(app, tmp_path, keywords, line):
    assert load(app, tmp_path, {"help": {"fr": ["SECOURS"]}}).exit_code == 0
    result = load(app, tmp_path, keywords)
    assert result.exit_code == 1, result.output
    assert line in result.output and "nothing was changed" in result.output and "Traceback" not in result.output
    assert stored() == {"help": {"fr": ["SECOURS"]}}


def test_a_file_without_the_section_leaves_the_built_in_words(app, tmp_path, text, clock):
    assert load(app, tmp_path, None).exit_code == 0
    assert text("AIDE") == in_language("fr", Reply.HELP)


def test_a_file_stop_word_with_punctuation_standing_apart_stops_texts(app, tmp_path, text, clock):
    """As the built-in STOP does ("STOP ! ! !"): punctuation standing apart is no word, so it does not make the text
    long enough to be taken for a report."""
    assert load(app, tmp_path, {"stop": {"kri": ["DON"]}}).exit_code == 0
    assert text("DON ! ! ! ! ! !") == in_language("kri", Reply.STOPPED)


@pytest.mark.parametrize("texted", ["évidemment", "EVIDEMMENT", "Évidemment !"])
def test_a_file_answer_word_with_accents_answers_as_loaded(texted):
    """load-taxonomy takes a word with accents ("ÉVIDEMMENT"); texted with or without them, it answers."""
    keywords = build_keywords({"yes": {"fr": ["ÉVIDEMMENT"]}})
    assert keyword_problems({"yes": {"fr": ["ÉVIDEMMENT"]}}, ["en", "fr", "kri"]) == []
    match = keywords.answer(texted)
    assert match is not None and match.event is Event.YES and match.language == "fr"
