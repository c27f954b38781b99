"""Languages: which one a page speaks, and the Babel locale data for Krio.

The citizen's explicit choice (a link on every page, kept in the session: no JavaScript needed) wins, then
the browser's Accept-Language, then English. Catalogs are in translations/<code>/LC_MESSAGES/messages.po,
compiled to .mo in the same folder (committed; tests/foundation/test_translations.py checks they match).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from babel import Locale, localedata
from flask import Flask, Response, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale

from civicwatch.security_headers import PRIVATE_PREFIXES

LANGUAGE_KEY = "language"
DEFAULT_LANGUAGE = "en"
KRIO = "kri"
# Krio has no CLDR data: it is an English-based creole whose speakers write dates and numbers the way
# Sierra Leone's English does, with English plural rules (one / other), so it borrows en_SL's locale data.
KRIO_DATA_FROM = "en_SL"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, as its speakers would look for it


# Every language the app can speak; config LANGUAGES chooses which are offered (and accepted).
KNOWN_LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English"),
    "fr": Language("fr", "Français"),
    "kri": Language("kri", "Krio"),
    "ar": Language("ar", "العربية"),
}

babel = Babel()


def N_(message: str) -> str:  # noqa: N802  (the name gettext's tools look for)
    """Mark a string for the catalogs where it is defined; it is translated where it is used, with gettext
    under the reader's locale (an SMS's: force_locale with the phone's language)."""
    return message


def display_name(name: str, names: Mapping[str, str] | None, language: str) -> str:
    """A taxonomy entry's name in `language` when the deployment gave one ({"fr": ...}), else its stored name."""
    return (names or {}).get(language) or name


def collation_key(name: str) -> tuple[str, str]:
    """Sort names as a reader expects in English, French and Krio: letters without their accents and case first
    ("Détention" between "Défaillance" and "Droits"), then the exact name to order names that only differ there."""
    letters = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return letters.casefold(), name


def register_krio() -> None:
    """Make Babel know "kri" (Locale.parse, dates, numbers, plural rules), once per process.

    Babel reads locale data only from its own package folder, whose loaded entries it keeps in
    localedata._cache; an entry placed there is found by Locale("kri") like a shipped one (exists() keeps
    its answers, so its memory is cleared once the entry is in).
    """
    if KRIO in localedata._cache:  # noqa: SLF001
        return
    localedata._cache[KRIO] = dict(localedata.load(KRIO_DATA_FROM))  # noqa: SLF001  (see the docstring)
    localedata.exists.cache_clear()


def offered_languages() -> list[Language]:
    return [KNOWN_LANGUAGES[code] for code in current_app.config["LANGUAGES"]]


def chosen_language() -> str | None:
    code = session.get(LANGUAGE_KEY)
    return code if code in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE  # workers and commands; a text in another language uses force_locale
    explicit = chosen_language()
    if explicit:
        return explicit
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or DEFAULT_LANGUAGE


def remember_language(code: str) -> bool:
    """Keep the citizen's choice in the session; False for a language not offered."""
    if code not in current_app.config["LANGUAGES"]:
        return False
    session[LANGUAGE_KEY] = code
    return True


def local_path(target: str | None, fallback: str) -> str:
    """A path of this site to go back to after choosing a language; anything else becomes the fallback."""
    if not target or any(ch.isspace() or not ch.isprintable() or ch == "\\" for ch in target):
        return fallback
    try:
        parts = urlsplit(target)
    except ValueError:  # a host in brackets that is no IPv6 address: //[evil.example
        return fallback
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return fallback
    return target


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def text_direction() -> str:
    locale = get_locale()
    return "rtl" if locale is not None and locale.character_order == "right-to-left" else "ltr"


def language_return_path() -> str:
    """Where a language link comes back to: the page, with its query on the public pages (a search, the
    statistics' filters); private pages come back without theirs, which may name a case or a person."""
    if request.query_string and request.method == "GET" and not request.path.startswith(PRIVATE_PREFIXES):
        return request.full_path
    return request.path


def language_context() -> dict[str, object]:
    return {
        "current_language": current_language(),
        "text_direction": text_direction(),
        "languages": offered_languages(),
        "language_return_path": language_return_path if has_request_context() else None,
    }


def vary_by_language(response: Response) -> Response:
    # A page's words depend on these; a shared cache must not hand one language's page to another reader.
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def register_languages(app: Flask) -> None:
    register_krio()
    for code in app.config["LANGUAGES"]:
        Locale.parse(code)  # an unknown code fails at start, not on a citizen's page
    babel.init_app(app, locale_selector=select_locale)
    # {% trans %} blocks are read with their line breaks and indentation collapsed, as babel.cfg extracts them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(language_context)
    app.after_request(vary_by_language)
