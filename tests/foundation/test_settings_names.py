"""Settings that name something (a language, a country, a log level, a database): one the app does not know stops the
start with a message naming the variable and what to put, rather than a library's traceback at start, or a start
whose citizens' pages then fail."""
from __future__ import annotations

import pytest

from civicwatch import create_app
from civicwatch.settings import SettingsError
from tests.conftest import make_config


@pytest.mark.parametrize("setting, value, variable", [
    ("LANGUAGES", ["en", "de"], "CIVICWATCH_LANGUAGES"),
    ("LANGUAGES", ["en", "xx"], "CIVICWATCH_LANGUAGES"),
    ("LOG_LEVEL", "verbose", "LOG_LEVEL"),
    ("DEFAULT_PHONE_REGION", "ZZ", "CIVICWATCH_PHONE_REGION"),
    ("SQLALCHEMY_DATABASE_URI", "postgres//civicwatch@db/civicwatch", "DATABASE_URL"),
])
def test_an_unknown_name_is_refused_at_start_naming_its_variable(database_url, tmp_path, setting, value, variable):
    """CIVICWATCH_LANGUAGES=en,de started, then every citizen's page failed with a 500; the others ended the start
    in a traceback that named no variable."""
    with pytest.raises(SettingsError, match=variable):
        create_app(make_config(database_url, tmp_path, **{setting: value}))


def test_known_names_start(database_url, tmp_path):
    app = create_app(make_config(database_url, tmp_path, LANGUAGES=["fr", "en"], LOG_LEVEL="warning",
                                 DEFAULT_PHONE_REGION="GH"))
    assert app.config["LANGUAGES"] == ["fr", "en"]


@pytest.mark.parametrize("codes", [["english"], ["en", "de"], []])
def test_classifier_languages_it_cannot_detect_are_refused_at_start(database_url, tmp_path, codes):
    """CIVICWATCH_CLASSIFIER_LANGUAGES=english started, and then every complaint waited in the triage queue: the
    classifier 'read no language'."""
    with pytest.raises(SettingsError, match="CIVICWATCH_CLASSIFIER_LANGUAGES"):
        create_app(make_config(database_url, tmp_path, CLASSIFIER_LANGUAGES=codes))
