"""The words a deployment loaded stay in force when something changes after `load-taxonomy` checked them: a language
taken out of CIVICWATCH_LANGUAGES since, or a word that a newer release made a built-in keyword of another command.
The words that clash are left out (and said in the log), never every word of the file with them: a phone that texts
the deployment's own STOP word must still stop its texts."""
from __future__ import annotations

import logging

from civicwatch.extensions import db
from civicwatch.sms.replies import Reply
from civicwatch.taxonomy.models import Setting
from tests.sms.test_sms_keywords_file import in_language, load


def test_a_language_dropped_since_loading_leaves_the_other_words_working(app, tmp_path, text, clock, caplog):
    result = load(app, tmp_path, {"stop": {"fr": ["DESABONNER"]}, "help": {"kri": ["KOMOT"]}})
    assert result.exit_code == 0, result.output
    app.config["LANGUAGES"] = ["en", "fr"]  # the deployment no longer offers Krio
    with caplog.at_level(logging.WARNING):
        assert text("désabonner") == in_language("fr", Reply.STOPPED)
    assert "KOMOT" in caplog.text


def test_a_word_claimed_by_another_command_since_loading_leaves_the_other_words_working(app, text, clock, caplog):
    # As stored by a load-taxonomy that accepted it; STATUT has since become a built-in STATUS word.
    db.session.add(Setting(key="sms_keywords", value={"stop": {"fr": ["DESABONNER"]}, "help": {"fr": ["STATUT"]}}))
    db.session.commit()
    with caplog.at_level(logging.WARNING):
        assert text("désabonner") == in_language("fr", Reply.STOPPED)
    assert "STATUT" in caplog.text
