"""The redaction assistant: proposes what to hide in a text before it is published.

A blank English spaCy pipeline (a tokenizer, no trained model) with `Matcher` and `EntityRuler` patterns:
phone numbers, emails, ID and service numbers, vehicle plates, exact addresses, and people's names (after
a title such as "Mr" or "Sgt", a common Sierra Leonean name, a name known from the case in any case, or two or
more capitalised words in a row that are not places or taxonomy terms; after a rank, also words in lower case
that the complaint corpus never writes in lower case, and words of a script without capitals such as Arabic).
A lone capitalised word mid-sentence that is not a known place or term, and a run of Arabic (or other uncased)
script in a text written in Latin letters, are weaker proposals: shown to staff, but not hidden unless they tick
them. Emails are also found written out ("fatu [at] example dot org").
Staff accept or edit each proposal; nothing here decides alone what the public reads.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import spacy
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.pipeline import EntityRuler
from spacy.tokens import Doc, Span, Token

from civicwatch.classify.corpus import corpus_files, read_examples
from civicwatch.classify.gazetteer import terms_from_taxonomy
from civicwatch.i18n import N_
from civicwatch.publishing.lookalikes import as_digits, as_latin
from civicwatch.publishing.name_spellings import reads_as, sound, spelled_out
from civicwatch.publishing.spoken_digits import spoken_runs
from civicwatch.taxonomy.operations import read_taxonomy
from civicwatch.text import FORMAT

LABELS = {
    "email": "[email]",
    "phone": "[phone number]",
    "plate": "[vehicle plate]",
    "id_number": "[ID number]",
    "address": "[address]",
    "name": "[name]",
    "possible_name": "[name]",
    "staff": "[hidden]",
}
LABEL_NAMES = {
    "email": N_("Email address"),
    "phone": N_("Phone number"),
    "plate": N_("Vehicle plate"),
    "id_number": N_("ID or service number"),
    "address": N_("Address"),
    "name": N_("Person's name"),
    "possible_name": N_("Perhaps a name (not hidden unless ticked)"),
    "staff": N_("Hidden by staff"),
}
# When two proposals overlap and are as long as each other, the more specific label wins.
PRIORITY = ("email", "phone", "plate", "id_number", "address", "name", "staff", "possible_name")
# Too uncertain to hide without a person deciding: the reviewer sees it, unticked.
SHOWN_NOT_HIDDEN = frozenset({"possible_name"})

TITLES = (
    "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "madam", "dr", "dr.", "officer", "sgt", "sergeant", "cpl",
    "corporal", "pte", "private", "major", "maj", "capt", "captain", "lt", "lieutenant", "col", "colonel",
    "gen", "general", "insp", "inspector", "supt", "superintendent", "asp", "commissioner", "constable",
    "pc", "wpc", "warder", "chief", "pa", "ya", "alhaji", "alhaja", "hajah", "rev", "reverend", "pastor",
    "imam", "brother", "sister", "uncle", "aunty", "auntie",
)
# Titles that are everyday words too ("major damage", "private security", "the general public", "we miss"): only a
# capitalised or a common name after them is taken for a name.
EVERYDAY_TITLES = frozenset({"general", "private", "major", "chief", "miss"})
# Common given names and family names in Sierra Leone; a capitalised one is proposed as a name.
COMMON_NAMES = (
    "abdul", "abu", "abubakarr", "adama", "alie", "alimamy", "alusine", "aminata", "amadu", "augustine",
    "bintu", "christiana", "emmanuel", "fatmata", "fatu", "foday", "hawa", "ibrahim", "isatu", "isha",
    "issa", "jeneba", "joseph", "kadiatu", "kumba", "lamin", "mabinty", "mariama", "marie", "mohamed",
    "momoh", "musa", "mustapha", "osman", "salamatu", "santigie", "sheku", "sorie", "tenneh", "umaru",
    "yusuf", "zainab", "bah", "bangura", "barrie", "conteh", "fofanah", "jalloh", "kallon", "kamara",
    "kanu", "kargbo", "koroma", "mansaray", "massaquoi", "sankoh", "sesay", "tarawallie", "turay", "kabia",
    "kamanda", "lahai", "samura", "sillah", "suma", "kaikai", "gbla", "jusu", "bockarie", "kpaka",
)
STREET_WORDS = (
    "road", "rd", "rd.", "street", "st", "st.", "avenue", "ave", "lane", "ln", "drive", "close", "way",
    "crescent", "terrace", "highway", "hill",
)
ID_KEYWORDS = (
    "id", "nin", "badge", "passport", "licence", "license", "pin", "force", "service", "employee", "staff",
    "personnel", "army", "payroll", "registration",
)
NUMBER_WORDS = ("number", "no", "no.", "num", "#")
PLATE_STOPWORDS = {"ID", "NO", "PC", "MR", "DR", "LE", "SLL", "USD", "AM", "PM", "ACC", "NIN", "PIN"}
# Capitalised words that are neither names nor in the taxonomy: calendar words, and words that begin
# sentences or name institutions. Places and taxonomy terms come from the taxonomy file.
ORDINARY_WORDS = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "yesterday", "today", "tomorrow", "tonight", "later", "last", "next", "later", "after", "before", "when",
    "then", "there", "they", "he", "she", "we", "you", "i", "my", "his", "her", "our", "their", "this",
    "that", "these", "those", "please", "thank", "thanks", "dear", "sir", "madam", "hello", "yes", "no",
    "okay", "ok", "also", "since", "until", "while", "because", "so", "but", "and", "or", "if", "what",
    "who", "why", "how", "where", "one", "two", "three", "some", "many", "all", "every", "each", "people",
    "police", "court", "courts", "government", "ministry", "minister", "commission", "council", "office",
    "department", "hospital", "school", "station", "prison", "market", "province", "district", "chiefdom",
    "town", "city", "village", "junction", "bridge", "human", "rights", "national", "state", "republic",
    "sierra", "leone", "leonean", "english", "krio", "christmas", "easter", "ramadan", "eid", "islam",
    "muslim", "christian", "god", "allah", "le", "leones", "covid", "ebola", "whatsapp", "facebook",
    "orange", "africell", "qcell", "complaint", "complainant", "case", "report", "findings", "response",
    "answer", "summary", "outcome", "investigation", "board", "authority", "inspectorate", "unit",
)
YEAR = re.compile(r"^(19|20)\d\d$")
DIGITS = re.compile(r"\d")
LETTERS = re.compile(r"[^\W\d_]+")
# Vowel marks and joiners: part of a word in a script without capitals.
UNCASED_MARKS = frozenset({"Mn", "Mc", FORMAT})
# For a regex character class: the hyphen, and the dashes word processors put in its place (U+2010 to U+2015, minus).
DASHES = r"\-\u2010-\u2015\u2212"


@dataclass(frozen=True)
class Proposal:
    """A span of `field` the assistant proposes to hide, with the text that replaces it by default."""

    field: str
    start: int
    end: int
    text: str
    label: str

    @property
    def replacement(self) -> str:
        return LABELS[self.label]

    @property
    def hidden_by_default(self) -> bool:
        return self.label not in SHOWN_NOT_HIDDEN

    @property
    def label_name(self) -> str:
        return LABEL_NAMES[self.label]

    def key(self) -> str:
        return f"{self.field}:{self.start}:{self.end}"


@dataclass(frozen=True)
class KnownDetails:
    """What the case itself tells us about the complainant: their name, phone and email, if given."""

    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


# ---------------------------------------------------------------- what the reader sees

# Joiners shape emoji and some scripts; between Latin letters, digits or punctuation they shape nothing.
JOINERS = frozenset("\u200c\u200d")


def visible_text(text: str) -> str:
    """`text` without invisible format characters (zero-width spaces, soft hyphens, word joiners, byte order and
    direction marks): inside a phone number or a name they hide it from the assistant while the reader still sees
    it whole. A joiner between two characters that are neither Latin, digits nor ASCII stays (emoji, scripts)."""
    if text.isascii():
        return text
    return "".join(ch for i, ch in enumerate(text)
                   if unicodedata.category(ch) != FORMAT or (ch in JOINERS and _joins(text, i)))


def _joins(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and not _latin_or_digit(text[i - 1]) and not _latin_or_digit(text[i + 1])


def _latin_or_digit(ch: str) -> bool:
    return ch.isascii() or ch.isdigit() or ch.isspace() or unicodedata.name(ch, "").startswith("LATIN")


# ---------------------------------------------------------------- the pipeline, built once per process

@lru_cache(maxsize=1)
def redaction_pipeline() -> tuple[Language, Matcher]:
    """The tokenizer with an EntityRuler (token-shape patterns) and a Matcher (patterns needing checks)."""
    nlp = spacy.blank("en")
    # add_pipe is typed as returning any component (a Callable[[Doc], Doc]); "entity_ruler" makes an EntityRuler.
    ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler", config={"overwrite_ents": True}))
    ruler.add_patterns(_ruler_patterns())
    matcher = Matcher(nlp.vocab)
    _add_matcher_patterns(matcher)
    return nlp, matcher


def _ruler_patterns() -> list[dict[str, Any]]:
    # One token of capitals and digits (and / or -) with at least three digits and a letter: SLP/12345,
    # RSLAF-4521, SL123456. Dates (12/03/2025) have no letter.
    id_token = r"^(?=[A-Z0-9/\-]*\d{3})(?=[A-Z0-9/\-]*[A-Z])[A-Z0-9][A-Z0-9/\-]{4,}$"
    return [
        {"label": "email", "pattern": [{"LIKE_EMAIL": True}]},
        {"label": "id_number", "pattern": [{"TEXT": {"REGEX": id_token}}]},
    ]


def _add_matcher_patterns(matcher: Matcher) -> None:
    name_part = {"IS_TITLE": True, "IS_STOP": False, "IS_ALPHA": True}
    # Surnames are often written in capitals ("Sgt. Abu BANGURA").
    name_rest = {"TEXT": {"REGEX": r"^(-|[A-Z][a-z'’]+|[A-Z]{2,})$"}, "IS_STOP": False, "OP": "*"}
    capitals = {"TEXT": {"REGEX": r"^[A-Z]{2,}$"}, "IS_STOP": False}
    # Dashes as keyboards and word processors write them: hyphen, non-breaking hyphen, figure, en and em dash.
    matcher.add("phone", [[
        {"TEXT": {"REGEX": rf"^(\+|\()?\d[\d().{DASHES}]*$"}},
        {"TEXT": {"REGEX": rf"^[\d().{DASHES}]+$"}, "OP": "*"},
    ]], greedy="LONGEST")
    # Sierra Leone plates: "AKK 123", "ABC-456", "AFJ 365A". An ID number of the same shape loses to them.
    matcher.add("plate", [
        [{"TEXT": {"REGEX": r"^[A-Z]{2,3}$"}}, {"TEXT": {"REGEX": r"^\d{3,4}[A-Z]?$"}}],
        [{"TEXT": {"REGEX": r"^[A-Z]{2,3}-?\d{3,4}[A-Z]?$"}}],
    ], greedy="LONGEST")
    keyword: list[dict[str, Any]] = [{"LOWER": {"IN": list(ID_KEYWORDS + NUMBER_WORDS)}},
               {"LOWER": {"IN": list(NUMBER_WORDS + ("card",))}, "OP": "*"},
               {"IS_PUNCT": True, "OP": "?"}]
    matcher.add("id_number", [
        [*keyword, {"TEXT": {"REGEX": r"\d{3,}"}}],
        # Written in groups: "12 345", "A 123 4567".
        [*keyword, {"TEXT": {"REGEX": r"^[A-Z]?\d{1,4}$"}}, {"TEXT": {"REGEX": r"^\d{2,4}$"}, "OP": "+"}],
        [*keyword, {"TEXT": {"REGEX": r"^[A-Z]$"}}, {"TEXT": {"REGEX": r"^\d{2,}$"}, "OP": "+"}],
    ], greedy="LONGEST")
    matcher.add("address", [[
        {"TEXT": {"REGEX": r"^\d{1,4}[A-Za-z]?$"}},
        {"ORTH": ",", "OP": "?"},
        {"IS_TITLE": True, "OP": "+"},
        {"LOWER": {"IN": list(STREET_WORDS)}},
    ]], greedy="LONGEST")
    common = {"LOWER": {"IN": list(COMMON_NAMES)}}
    matcher.add("titled_name", [
        [{"LOWER": {"IN": list(TITLES)}}, {"ORTH": ".", "OP": "?"}, name_part, name_rest],
        [{"LOWER": {"IN": list(TITLES)}}, {"ORTH": ".", "OP": "?"}, capitals, {**capitals, "OP": "*"}],
        # Typed in lower case ("sgt bangura"): only a common name, as any other word may be a verb.
        [{"LOWER": {"IN": list(TITLES)}}, {"ORTH": ".", "OP": "?"}, common, {**common, "OP": "*"}],
    ], greedy="LONGEST")
    matcher.add("common_name", [
        [{**common, "IS_TITLE": True}, name_rest],
        [{**common, "IS_UPPER": True}, name_rest],
        [{**common, "IS_LOWER": True}, {**common, "IS_LOWER": True, "OP": "+"}],
    ], greedy="LONGEST")


# ---------------------------------------------------------------- proposing

def propose_redactions(field: str, text: str, known: KnownDetails | None = None,
                       extra_terms: Iterable[str] = ()) -> list[Proposal]:
    """Spans of `text` that look like personal details, in order, not overlapping."""
    if not text:
        return []
    nlp, matcher = redaction_pipeline()
    doc = nlp(text)
    candidates: list[tuple[Span, str]] = [(ent, ent.label_) for ent in doc.ents]
    for match_id, start, end in matcher(doc):
        found = _matcher_span(doc, nlp.vocab.strings[match_id], doc[start:end])
        if found is not None:
            candidates.append(found)
    candidates += _long_id_spans(doc)
    candidates += _written_out_emails(doc)
    candidates += _capitalised_runs(doc)
    candidates += _after_titles(doc)
    candidates += _uncased_runs(doc)
    candidates += _known_spans(nlp, doc, known or KnownDetails(), extra_terms)
    return [Proposal(field, span.start_char, span.end_char, span.text, label)
            for span, label in _without_overlaps(candidates)]


def _matcher_span(doc: Doc, rule: str, span: Span) -> tuple[Span, str] | None:
    """Check what a pattern cannot express, and trim the span to the part worth hiding."""
    if rule == "phone":
        end = span.end
        while end > span.start and not DIGITS.search(doc[end - 1].text):
            end -= 1  # a full stop or a dash after the number is not part of it
        span = doc[span.start:end]
        digits = len(DIGITS.findall(span.text))
        return (span, "phone") if 8 <= digits <= 15 and not _is_date(span.text) else None
    if rule == "plate":
        letters, _, number = span.text.replace("-", " ").partition(" ")
        if letters in PLATE_STOPWORDS or YEAR.match(number.strip()):
            return None
        joined = _joined_groups(doc, span)
        return (span, "plate") if joined.end == span.end else (joined, "id_number")
    if rule == "id_number":  # from its first group of digits (or the letter before them) to its end
        first = next(token.i for token in span if DIGITS.search(token.text))
        if first > span.start and re.fullmatch(r"[A-Z]", doc[first - 1].text):
            first -= 1
        return _joined_groups(doc, doc[first:span.end]), "id_number"
    if rule == "titled_name":
        first = 2 if span[1].text == "." else 1
        return _name_part(doc, span.start + first, span.end)
    if rule == "common_name":
        return _name_part(doc, span.start, span.end)
    return span, rule


def _joined_groups(doc: Doc, span: Span) -> Span:
    """The span with the groups of digits joined onto it by a dash and no space: the tokenizer cuts "123-456" and
    "SL-123-456" at a dash, and half a number must not be left visible."""
    end = span.end
    while (end + 1 < len(doc) and not doc[end - 1].whitespace_ and re.fullmatch(f"[{DASHES}]", doc[end].text)
           and not doc[end].whitespace_ and DIGITS.search(doc[end + 1].text)):
        end += 2
    return doc[span.start:end]


def _name_part(doc: Doc, start: int, end: int) -> tuple[Span, str] | None:
    while start < end and (doc[start].lower_ in TITLES or doc[start].text == "."):
        start += 1  # "Chief Inspector Kamara": hide the name, keep the ranks
    end = min(end, start + 4)  # a name is a few words; longer runs are headings in Title Case
    while end > start and doc[end - 1].text == "-":
        end -= 1
    return (doc[start:end], "name") if end > start else None


# Groups of letters and digits joined by dashes, slashes, dots or spaces (SL-123-456-789, SL 1234 5678 A,
# 1234.5678.9012.3456); only runs with eight digits or more are kept, so that short numbers, plates and years are
# left alone.
_ID_GROUP = r"[A-Za-z]*\d[A-Za-z0-9]*"
LONG_ID = re.compile(
    rf"(?<![\w+-])(?:[A-Z]{{1,4}}[ \-/])?{_ID_GROUP}(?:[ .\-/]{_ID_GROUP})*(?:[ \-/][A-Z]{{1,3}})?(?![\w-])")


def _long_id_spans(doc: Doc) -> list[tuple[Span, str]]:
    found = []
    for match in LONG_ID.finditer(doc.text):
        if len(DIGITS.findall(match.group())) < 8 or _is_date(match.group()):
            continue
        span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
        if span is not None:
            found.append((span, "id_number"))
    return found


def _bracketed(word: str) -> str:
    return rf"\s*[\[(<{{]\s*{word}\s*[\])>}}]\s*"


# Emails written so that robots do not harvest them: "fatu [at] example.org", "fatu (at) example dot org",
# "fatu@example .org". With an @ or a bracketed "at" the text is an address whatever follows; with a bare "at",
# only when the dots are written out too ("fatu at example dot org"), and `_written_out_emails` checks its words.
_LOCAL = r"(?<![\w.%+\-])[a-z0-9][\w.%+\-]*"
_LABEL = r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
_TLD = r"[a-z]{2,24}\b"
_WORD_DOT = rf"(?:{_bracketed('dot')}|\s+dot\s+)"
MARKED_EMAIL = re.compile(
    rf"{_LOCAL}(?:\s*@\s*|{_bracketed('at')})(?:{_LABEL}(?:\s?\.|{_WORD_DOT}))+{_TLD}", re.IGNORECASE)
SPOKEN_EMAIL = re.compile(rf"{_LOCAL}\s+at\s+(?:{_LABEL}{_WORD_DOT})+{_TLD}", re.IGNORECASE)


def _written_out_emails(doc: Doc) -> list[tuple[Span, str]]:
    found = []
    matches = [*MARKED_EMAIL.finditer(doc.text), *SPOKEN_EMAIL.finditer(doc.text)]
    for match in matches:
        if match.re is SPOKEN_EMAIL and _spoken_words(match.group()) & STOP_WORDS:
            continue  # "looked at the dot com": a sentence, not an address
        span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
        if span is not None:
            found.append((span, "email"))
    return found


def _spoken_words(email: str) -> set[str]:
    """The words of an address written with "at" and "dot", the two joining words left out."""
    words = re.split(r"[\s\[\](){}<>]+", email.lower())
    return {word for i, word in enumerate(words) if word and not (i and word in {"at", "dot"})}


@lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    """Words that are capitalised without being names: places, taxonomy terms and bodies, calendar words."""
    data = read_taxonomy()
    terms = terms_from_taxonomy(data)
    phrases = [term for group in (terms.actors, terms.regions, terms.districts) for values in group.values()
               for term in values]
    phrases += [str(item.get("name", "")) for key in ("themes", "bodies") for item in data.get(key) or []]
    words = {word for phrase in phrases for word in re.split(r"[^\w']+", phrase.lower()) if word}
    return frozenset(words | set(ORDINARY_WORDS) | set(STOP_WORDS) | set(TITLES) | set(STREET_WORDS)
                     | set(ID_KEYWORDS) | set(NUMBER_WORDS))


@lru_cache(maxsize=1)
def everyday_words() -> frozenset[str]:
    """The ordinary words, and every word the project's complaint corpus writes in lower case (English, Krio and
    French as people type them). The corpus writes no one's name in lower case but a few common ones, taken out."""
    words = {word for example in read_examples(corpus_files()) for word in LETTERS.findall(example.text)
             if word.islower()}
    return frozenset((words - set(COMMON_NAMES)) | ordinary_words())


def _after_titles(doc: Doc) -> list[tuple[Span, str]]:
    """What the name patterns miss after a rank or title, as they look for capitals and common names: one to three
    words of a script without capitals ("Sgt. محمد كمارا"), or else one or two words that are not everyday words,
    whatever their case ("sgt john smith")."""
    found: list[tuple[Span, str]] = []
    for token in doc:
        if token.lower_ not in TITLES:
            continue
        start = token.i + 2 if token.i + 1 < len(doc) and doc[token.i + 1].text == "." else token.i + 1
        end = _run(doc, start, _uncased_word, 3)
        if end == start and token.lower_ not in EVERYDAY_TITLES:
            end = _run(doc, start, _unknown_word, 2)
        if end > start:
            found.append((doc[start:end], "name"))
    return found


def _run(doc: Doc, start: int, is_part: Callable[[Token], bool], most: int) -> int:
    end = start
    while end < min(len(doc), start + most) and is_part(doc[end]):
        end += 1
    return end


def _unknown_word(token: Token) -> bool:
    return token.is_alpha and len(token.text) >= 2 and token.lower_ not in everyday_words()


def _uncased_word(token: Token) -> bool:
    """A word of a script without capitals (Arabic, N'Ko, Vai...), with its vowel marks and joiners."""
    return (any(ch.isalpha() for ch in token.text)
            and all((ch.isalpha() and ch.lower() == ch.upper() and not _latin_or_digit(ch))
                    or unicodedata.category(ch) in UNCASED_MARKS for ch in token.text))


def _uncased_runs(doc: Doc) -> list[tuple[Span, str]]:
    """In a text written in Latin letters, a run of words in a script without capitals is perhaps a name. Shown, not
    hidden: it may as well be a greeting or a quotation. A text written in such a script is left to the reader."""
    letters = [ch for ch in doc.text if ch.isalpha()]
    if sum(_latin_or_digit(ch) for ch in letters) * 2 <= len(letters):
        return []
    found: list[tuple[Span, str]] = []
    start = 0
    while start < len(doc):
        end = _run(doc, start, _uncased_word, len(doc))
        if end > start:
            found.append((doc[start:end], "possible_name"))
        start = max(end, start + 1)
    return found


def _name_like(token: Token) -> bool:
    return (token.is_title and token.is_alpha and len(token.text) >= 2
            and token.lower_ not in ordinary_words())


def _sentence_start(token: Token) -> bool:
    if token.i == 0:
        return True
    previous = token.doc[token.i - 1]
    return previous.text in {".", "!", "?", ":", ";", '"', "“", "(", "-", "–"} or "\n" in previous.text


def _name_goes_on(doc: Doc, end: int, start: int) -> int:
    """Where a run of name words that has reached `end` goes on to: the next word if it is one too (a surname
    in capitals after the first name), also across one line break or a run of spaces; else `end`."""
    at = end
    if at < len(doc) and doc[at].is_space and doc[at].text.count("\n") <= 1:
        at += 1
    if at >= len(doc):
        return end
    word = doc[at]
    if _name_like(word) or (at > start and word.is_upper and word.is_alpha and len(word.text) >= 2
                            and word.lower_ not in ordinary_words()):
        return at + 1
    return end


def _capitalised_runs(doc: Doc) -> list[tuple[Span, str]]:
    """Two or more name-like words in a row are a name ("John Smith"); one alone mid-sentence perhaps is."""
    found: list[tuple[Span, str]] = []
    start = 0
    while start < len(doc):
        end = start + 1 if _name_like(doc[start]) else start
        while end > start and (following := _name_goes_on(doc, end, start)) > end:
            end = following
        words = sum(not token.is_space for token in doc[start:end])
        if words >= 2:
            found.append((doc[start:min(end, start + 5)], "name"))
        elif words == 1 and not _sentence_start(doc[start]):
            found.append((doc[start:end], "possible_name"))
        start = max(end, start + 1)
    return found


def _is_date(text: str) -> bool:
    return bool(re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}", text))


def _known_spans(nlp: Language, doc: Doc, known: KnownDetails,
                 extra_terms: Iterable[str]) -> list[tuple[Span, str]]:
    """Matches of what the case tells us, and of what staff asked to hide.

    Whole names, phones, emails and staff terms match whatever the case. A single part of a name
    ("Kamara") is a name when written capitalised or in capitals, or in lower case when it is a common
    name; another lower-case part may be an ordinary word ("hope"), so it is only shown as a possible name.
    """
    any_case = {
        "name": {name for name in _full_names(known.names) if " " in name},
        "phone": _phone_variants(known.phones),
        "email": set(known.emails),
        "staff": {term.strip() for term in extra_terms if term and term.strip()},
    }
    found = _phrase_matches(nlp, doc, any_case, "LOWER")
    parts = _name_parts(known.names)
    found += _phrase_matches(nlp, doc, {"name": parts | {part.upper() for part in parts}}, "ORTH")
    for span, _ in _phrase_matches(nlp, doc, {"name": {part.lower() for part in parts}}, "ORTH"):
        if span.text not in STOP_WORDS:
            found.append((span, "name" if span.text in COMMON_NAMES else "possible_name"))
    # The phone and email also written with Cyrillic or Greek letters drawn as Latin ones, and the phone with letters
    # for digits ("O76 555 l23"); the folding keeps every character's place.
    latin = as_latin(doc.text)
    as_written = {"phone": as_digits(latin), "email": latin, "staff": doc.text}
    for label, text in as_written.items():
        found += _substring_matches(doc, text, any_case[label], label)
    # Also as written: "|" reads as a 1 inside a number and as a mark between its groups.
    for text in {as_written["phone"], doc.text}:
        found += _cut_phone_matches(doc, text, known.phones)
    return found + _spoken_phone_matches(doc, known.phones) + _spelled_name_matches(doc, known.names)


# A run of digits as a reader reads one number: digits with up to three marks or spaces between them, whatever the
# marks (076,555,123 / 076–555–123 / 076·555·123 / 076 • 555 • 123 / 076_555_123), a "+" before them.
DIGIT_RUN = re.compile(r"\+?\d(?:[\W_]{0,3}\d)+")
NON_DIGITS = re.compile(r"\D")


def local_digits(phone: str) -> str:
    """The last eight digits, common to every way of writing the number (+232 76 100001, 076100001); "" if fewer."""
    digits = NON_DIGITS.sub("", phone)
    return digits[-8:] if len(digits) >= 8 else ""


def _cut_phone_matches(doc: Doc, text: str, phones: Iterable[str]) -> list[tuple[Span, str]]:
    """Runs of digits (in `text`, a folding of the document that keeps every character's place) that hold the
    complainant's number, however its groups are cut: the whole run is proposed."""
    wanted = {digits for digits in map(local_digits, phones) if digits}
    found = []
    for match in DIGIT_RUN.finditer(text) if wanted else ():
        run = NON_DIGITS.sub("", match.group())
        if any(digits in run for digits in wanted):
            span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
            if span is not None:
                found.append((span, "phone"))
    return found


def _spoken_phone_matches(doc: Doc, phones: Iterable[str]) -> list[tuple[Span, str]]:
    """Runs of number words that read as the complainant's number ("zero seven six five five five one two three",
    "oh seven six double five five..."): the whole run is proposed."""
    wanted = {digits for digits in map(local_digits, phones) if digits}
    found = []
    for run in spoken_runs(doc.text) if wanted else ():
        if any(digits in run.digits for digits in wanted):
            span = doc.char_span(run.start, run.end, alignment_mode="expand")
            if span is not None:
                found.append((span, "phone"))
    return found


def _spelled_name_matches(doc: Doc, names: Iterable[str]) -> list[tuple[Span, str]]:
    """A part of the complainant's name spelled out letter by letter ("F a t m a t a", "C-o-n-t-e-h"), or misspelt
    in it, with the parts of the name written next to it: the whole name is proposed."""
    parts = {sound(part) for part in _name_parts(names)}
    found = []
    for run in spelled_out(doc.text) if parts else ():
        span = doc.char_span(run.start, run.end, alignment_mode="expand")
        if span is not None and any(reads_as(sound(run.word), part) for part in parts):
            found.append((_with_name_parts_around(doc, span, parts), "name"))
    return found


def _with_name_parts_around(doc: Doc, span: Span, parts: set[str]) -> Span:
    def is_part(i: int) -> bool:
        return 0 <= i < len(doc) and doc[i].is_alpha and any(reads_as(sound(doc[i].text), part) for part in parts)

    start, end = span.start, span.end
    while is_part(end) or (end < len(doc) and doc[end].is_space and is_part(end + 1)):
        end += 1
    while is_part(start - 1) or (start > 0 and doc[start - 1].is_space and is_part(start - 2)):
        start -= 1
    return doc[start:end]


def _phrase_matches(nlp: Language, doc: Doc, groups: dict[str, set[str]], attr: str) -> list[tuple[Span, str]]:
    matcher = PhraseMatcher(nlp.vocab, attr=attr)
    for label, terms in groups.items():
        patterns = [nlp.make_doc(term) for term in sorted(terms) if term]
        if patterns:
            matcher.add(label, patterns)
    return [(doc[start:end], nlp.vocab.strings[match_id]) for match_id, start, end in matcher(doc)]


def _substring_matches(doc: Doc, text: str, terms: set[str], label: str) -> list[tuple[Span, str]]:
    """Terms written inside a longer token (for example 'tel:076100001'): match the characters of `text`, the
    document's text or a folding of it that keeps every character's place."""
    found = []
    lowered = text.lower()
    for term in terms:
        needle = term.lower().strip()
        if len(needle) < 3:
            continue
        for match in re.finditer(re.escape(needle), lowered):
            span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
            if span is not None:
                found.append((span, label))
    return found


def _full_names(names: Iterable[str]) -> set[str]:
    return {" ".join(name.split()) for name in names if name and name.strip()}


def _name_parts(names: Iterable[str]) -> set[str]:
    """Each part of a known name long enough to be a name on its own, as it is capitalised."""
    parts: set[str] = set()
    for name in _full_names(names):
        for part in re.split(r"[\s\-]+", name):
            if len(part) >= 3:
                parts.add(part[0].upper() + part[1:])
    return parts


def _phone_variants(phones: Iterable[str]) -> set[str]:
    """+23276100001 is also written 076100001, 76100001, 076 100 001 and 232 76 100001."""
    variants: set[str] = set()
    for phone in phones:
        digits = re.sub(r"\D", "", phone or "")
        if len(digits) < 7:
            continue
        variants.update({phone, digits, "+" + digits})
        if phone.startswith("+232") and len(digits) == 11:
            local = digits[3:]
            variants.update({local, "0" + local, f"0{local[:2]} {local[2:5]} {local[5:]}",
                             f"{local[:2]} {local[2:5]} {local[5:]}", f"+232 {local[:2]} {local[2:5]} {local[5:]}",
                             f"0{local[:2]}-{local[2:5]}-{local[5:]}"})
    return variants


def _without_overlaps(candidates: list[tuple[Span, str]]) -> list[tuple[Span, str]]:
    """Longest spans first (then the more specific label); drop anything overlapping a kept span."""
    ordered = sorted(candidates, key=lambda item: (-(item[0].end_char - item[0].start_char),
                                                   PRIORITY.index(item[1]), item[0].start_char))
    kept: list[tuple[Span, str]] = []
    for span, label in ordered:
        if all(span.end_char <= other.start_char or span.start_char >= other.end_char for other, _ in kept):
            kept.append((span, label))
    return sorted(kept, key=lambda item: item[0].start_char)


# ---------------------------------------------------------------- applying staff decisions

@dataclass(frozen=True)
class Decision:
    """What staff decided for one proposal: hide it (with this replacement) or leave it."""

    field: str
    start: int
    end: int
    label: str
    hide: bool
    replacement: str

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "start": self.start, "end": self.end, "label": self.label,
                "hide": self.hide, "replacement": self.replacement}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(str(data["field"]), int(data["start"]), int(data["end"]), str(data["label"]),
                   bool(data["hide"]), str(data.get("replacement") or LABELS.get(str(data["label"]), "[hidden]")))


def apply_redactions(text: str, field: str, decisions: Iterable[Decision]) -> str:
    """The text the public reads: each hidden span replaced, right to left so offsets stay valid."""
    result = text
    chosen = sorted((d for d in decisions if d.field == field and d.hide), key=lambda d: d.start, reverse=True)
    last_start = len(text) + 1
    for decision in chosen:
        if decision.end > last_start or decision.start < 0 or decision.end > len(text):
            continue  # overlapping or stale: never apply half a decision
        result = result[:decision.start] + decision.replacement + result[decision.end:]
        last_start = decision.start
    return result


@dataclass(frozen=True)
class Segment:
    """A piece of the source text for the staff view: kept as is, or hidden behind `replacement`."""

    text: str
    hidden: bool
    replacement: str = ""


def marked_segments(text: str, field: str, decisions: Iterable[Decision]) -> list[Segment]:
    """The source text cut at each hidden span, so that reviewers see exactly what is hidden."""
    segments: list[Segment] = []
    position = 0
    for decision in sorted((d for d in decisions if d.field == field and d.hide), key=lambda d: d.start):
        if decision.start < position or decision.end > len(text):
            continue
        if decision.start > position:
            segments.append(Segment(text[position:decision.start], False))
        segments.append(Segment(text[decision.start:decision.end], True, decision.replacement))
        position = decision.end
    if position < len(text):
        segments.append(Segment(text[position:], False))
    return segments
