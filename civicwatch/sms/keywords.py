"""The SMS keywords a deployment adds without touching code: the `sms_keywords` section of its taxonomy file
({"help": {"fr": ["SECOURS"]}, "stop": {"kri": ["DON"]}}), written by `load-taxonomy` into the `sms_keywords`
setting and read through the taxonomy cache, so every process (web and `deliver` workers) matches the new words on
its next text. The built-in words (sms/dialogue.py) always stay: the replies name them, and the carriers' STOP words
must keep working."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app

from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.sms.dialogue import Keywords, build_keywords, keyword_problems
from civicwatch.taxonomy.cache import cached
from civicwatch.taxonomy.models import Setting
from civicwatch.taxonomy.operations import DEFAULT_TAXONOMY, read_taxonomy

KEYWORDS_SETTING = "sms_keywords"


def load_sms_keywords(path: Path | str = DEFAULT_TAXONOMY) -> int:
    """Store the file's `sms_keywords` section (none: the built-in words only), once checked. Returns how many
    words it adds."""
    section = read_taxonomy(path).get(KEYWORDS_SETTING, {})
    problems = keyword_problems(section, list(current_app.config["LANGUAGES"]))
    if problems:
        raise DomainError(f"Taxonomy file {path} cannot be loaded; nothing was changed:\n" + "\n".join(problems[:20]))
    setting = db.session.get(Setting, KEYWORDS_SETTING)
    if setting is None:
        db.session.add(Setting(key=KEYWORDS_SETTING, value=section))
    elif setting.value != section:
        setting.value = section
    return sum(len(words) for by_language in section.values() for words in by_language.values())


def _read_keywords() -> Keywords:
    setting = db.session.get(Setting, KEYWORDS_SETTING)
    section: Any = setting.value if setting is not None else None
    return build_keywords(section if isinstance(section, dict) and not keyword_problems(
        section, list(current_app.config["LANGUAGES"])) else None)


def sms_keywords() -> Keywords:
    """The built-in keywords and the deployment's, built once per process and taxonomy version."""
    return cached(KEYWORDS_SETTING, _read_keywords)
