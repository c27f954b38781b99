"""The SMS keywords a deployment adds without touching code: the `sms_keywords` section of its taxonomy file
({"help": {"fr": ["SECOURS"]}, "stop": {"kri": ["DON"]}}), written by `load-taxonomy` into the `sms_keywords`
setting and read through the taxonomy cache, so every process (web and `deliver` workers) matches the new words on
its next text. The built-in words (sms/dialogue.py) always stay: the replies name them, and the carriers' STOP words
must keep working."""
from __future__ import annotations

import logging
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

log = logging.getLogger(__name__)


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
    return build_keywords(_still_valid(section, list(current_app.config["LANGUAGES"])) if section else None)


def _still_valid(section: Any, languages: list[str]) -> dict[str, dict[str, list[str]]]:
    """The stored words that still pass load-taxonomy's checks, one by one. One that no longer does (its language
    taken out of LANGUAGES since, or made a built-in keyword by a newer release) is left out and logged; the others
    stay, above all a deployment's own STOP words."""
    kept: dict[str, dict[str, list[str]]] = {}
    left_out: list[str] = []
    by_command = section.items() if isinstance(section, dict) else ()
    for command, by_language in by_command:
        for language, words in by_language.items() if isinstance(by_language, dict) else ():
            for word in words if isinstance(words, list) else ():
                listed = kept.get(command, {}).get(language, [])
                trial = {**kept, command: {**kept.get(command, {}), language: [*listed, word]}}
                if keyword_problems(trial, languages):
                    left_out.append(f"{command}.{language}: {word!r}")
                else:
                    kept = trial
    if left_out or not isinstance(section, dict):
        log.warning("sms_keywords setting: left out, as load-taxonomy would now refuse them (load the taxonomy file "
                    "again to see why): %s", ", ".join(left_out) or repr(section)[:200])
    return kept


def sms_keywords() -> Keywords:
    """The built-in keywords and the deployment's, built once per process and taxonomy version."""
    return cached(KEYWORDS_SETTING, _read_keywords)
