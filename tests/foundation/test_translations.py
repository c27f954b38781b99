"""Every string a citizen can see is translated in every catalog, every string of the staff pages listed
below in French, and the committed .mo files are the compiled .po files (a clean clone needs no compile step).

Staff pages speak English and French (the issue's scope); Krio is for citizens, so staff strings may stay
untranslated in Krio and then read in English."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import NamedTuple

import pytest
from babel import Locale
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from civicwatch.i18n import register_krio

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ("fr", "kri")
# What citizens see: their pages, the layout and form pieces those pages use, and the Python that speaks
# on those pages (form labels and errors, status words, flashes) and by SMS (replies and case news).
CITIZEN_TEMPLATES = ("templates/base.html", "templates/_forms.html", "templates/errors", "templates/intake",
                     "templates/public", "templates/transparency", "templates/publishing/answer.html",
                     "templates/publishing/published.html", "templates/publishing/feed.xml")
CITIZEN_PYTHON = ("civicwatch/intake", "civicwatch/i18n.py", "civicwatch/errors.py", "civicwatch/sms/replies.py", "civicwatch/messaging/whatsapp.py",
                  "civicwatch/cases/notifications.py", "civicwatch/transparency/views.py",
                  "civicwatch/transparency/forms.py", "civicwatch/transparency/charts.py",
                  "civicwatch/transparency/report.py", "civicwatch/open_data.py")
# What staff see, translated into French page by page: the pages staff use every day first.
STAFF_TEMPLATES = ("templates/accounts", "templates/audit", "templates/cases", "templates/interfaces",
                   "templates/publishing/staff", "templates/retention",
                   "templates/routing",
                   "templates/patterns", "templates/disclosure", "templates/sms")
STAFF_PYTHON = ("civicwatch/accounts/forms.py", "civicwatch/accounts/models.py", "civicwatch/accounts/operations.py",
                "civicwatch/accounts/views.py",
                "civicwatch/cases/deadlines.py", "civicwatch/cases/forms.py", "civicwatch/cases/holidays.py",
                "civicwatch/cases/models.py", "civicwatch/cases/pages.py",
                "civicwatch/cases/queries.py", "civicwatch/cases/views.py", "civicwatch/cases/workflow.py",
                "civicwatch/publishing/forms.py", "civicwatch/publishing/redaction.py", "civicwatch/publishing/views.py",
                "civicwatch/disclosure/forms.py", "civicwatch/disclosure/views.py",
                "civicwatch/interfaces/forms.py", "civicwatch/oversight",
                "civicwatch/patterns/case_views.py", "civicwatch/patterns/forms.py",
                "civicwatch/publishing/operations.py", "civicwatch/publishing/permissions.py",
                "civicwatch/publishing/workflow.py",
                "civicwatch/retention/forms.py", "civicwatch/retention/operations.py", "civicwatch/retention/views.py",
                "civicwatch/routing/case_views.py", "civicwatch/routing/forms.py", "civicwatch/routing/views.py",
                "civicwatch/sms/forms.py", "civicwatch/sms/queries.py", "civicwatch/sms/simulator.py",
                "civicwatch/sms/staff_views.py", "civicwatch/sms/views.py",
                "civicwatch/text.py", "civicwatch/cases/operations.py", "civicwatch/cases/permissions.py",
                "civicwatch/cases/originals.py", "civicwatch/routing/operations.py",
                "civicwatch/routing/rule_operations.py", "civicwatch/patterns/operations.py",
                "civicwatch/patterns/sharing.py", "civicwatch/patterns/permissions.py", "civicwatch/patterns/alerts.py",
                "civicwatch/patterns/views.py", "civicwatch/patterns/register.py", "civicwatch/disclosure/operations.py",
                "civicwatch/disclosure/permissions.py")
# Staff pages that live beside the citizen ones (assisted intake, where staff or a community committee member
# enter a complaint for someone): staff strings, English and French; the slip they print is the citizen's.
STAFF_AMONG_CITIZEN = ("templates/intake/assisted.html", "templates/intake/assisted_receipt.html",
                       "civicwatch/intake/assisted.py", "civicwatch/intake/assisted_forms.py",
                       "civicwatch/intake/assisted_views.py")
STAFF_LANGUAGES = ("fr",)
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}


class InContext(NamedTuple):
    """A message with a context (pgettext): the same English word can read differently in French."""
    context: str
    message: str


def files_under(paths: tuple[str, ...], suffix: str, leaving_out: tuple[str, ...] = ()) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = ROOT / name
        found.extend(sorted(path.rglob(f"*{suffix}")) if path.is_dir() else [path])
    return [path for path in found if path.relative_to(ROOT).as_posix() not in leaving_out]


def messages_in(templates: tuple[str, ...], python: tuple[str, ...],
                leaving_out: tuple[str, ...] = ()) -> set[str | tuple[str, ...]]:
    messages: set[str | tuple[str, ...]] = set()
    for path in files_under(templates, ".html", leaving_out):
        for _line, message, _comments, _context in extract_from_file(
                babel_extract, str(path), keywords=KEYWORDS, options={"trimmed": "true"}):
            messages.add(message)
    for path in files_under(python, ".py", leaving_out):
        for _line, message, _comments, context in extract_from_file("python", str(path), keywords=KEYWORDS):
            messages.add(InContext(context, message) if context else message)
    return messages


def citizen_messages() -> set[str | tuple[str, ...]]:
    return messages_in(CITIZEN_TEMPLATES, CITIZEN_PYTHON, leaving_out=STAFF_AMONG_CITIZEN)


def staff_messages() -> set[str | tuple[str, ...]]:
    return messages_in((*STAFF_TEMPLATES, *STAFF_AMONG_CITIZEN[:2]), (*STAFF_PYTHON, *STAFF_AMONG_CITIZEN[2:]))


def catalog(language: str):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def test_the_citizen_strings_are_found():
    messages = citizen_messages()
    # One from a template, one from a form label, one plural, one status: the extraction sees each kind.
    assert {"Report a concern", "What happened?", "Received. We are checking which oversight body can act on it.",
            ("You sent it %(num)s day ago.", "You sent it %(num)s days ago.")} <= messages
    assert len(messages) > 200


def untranslated(messages: set[str | tuple[str, ...]], language: str) -> list[str | tuple[str, ...]]:
    translations = catalog(language)
    missing = []
    for message in sorted(messages, key=str):
        if isinstance(message, InContext):
            entry = translations.get(message.message, message.context)
        else:
            entry = translations.get(message if isinstance(message, str) else message[0])
        strings = [] if entry is None else ([entry.string] if isinstance(entry.string, str) else list(entry.string))
        if entry is None or entry.fuzzy or not strings or not all(strings):
            missing.append(message)
    return missing


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_citizen_string_is_translated(language):
    missing = untranslated(citizen_messages(), language)
    assert missing == [], f"untranslated in {language}: run `make translations` and fill them in"


def test_the_staff_strings_are_found():
    messages = staff_messages()
    # A template, a queue's name, a status word, a plural, a form label, a flash after an action.
    assert {"Next step", "Triage queue", "Investigating", ("in %(num)s day", "in %(num)s days"), "Sign in",
            "Note added. Only staff can see it."} <= messages
    assert len(messages) > 150


@pytest.mark.parametrize("language", STAFF_LANGUAGES)
def test_every_staff_string_is_translated(language):
    missing = untranslated(staff_messages(), language)
    assert missing == [], f"untranslated in {language}: run `make translations` and fill them in"


PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language):
    for entry in catalog(language):
        if not entry.id:
            continue
        wanted = set(PLACEHOLDER.findall(entry.id if isinstance(entry.id, str) else entry.id[-1]))
        for string in [entry.string] if isinstance(entry.string, str) else list(entry.string):
            if string:  # an empty one reads in English, placeholders and all (staff pages in Krio)
                assert set(PLACEHOLDER.findall(string)) == wanted, (language, entry.id, string)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_mo_file_is_the_compiled_po_file(language):
    compiled = io.BytesIO()
    write_mo(compiled, catalog(language))
    committed = (ROOT / "translations" / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert committed == compiled.getvalue(), "run `make translations`"


def test_krio_is_a_locale_babel_knows_after_registration():
    register_krio()
    krio = Locale.parse("kri")
    assert krio.plural_form(1) == "one" and krio.plural_form(3) == "other"
    assert krio.character_order == "left-to-right"
    assert catalog("kri").plural_forms == "nplurals=2; plural=(n != 1);"
