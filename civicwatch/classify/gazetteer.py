"""Who is complained about and where: a PhraseMatcher over the taxonomy's terms, tolerant of misspellings.

The terms come from the database (Actor.terms, Region.terms, District.terms) or, when there is no
database, from the copy saved with the model. Matching ignores case, except for a term written all in capitals
in the taxonomy ("NIA", "LUC"): it matches only capitals, because its lower-case spelling is a common word
elsewhere (Krio "nia" is "near"; Luc is a French first name). A word of five letters or more
that is one edit (a letter added, dropped, changed or two letters swapped) away from a term's word,
with the same first letter, counts as that word unless the word is common in the training texts:
"freetwon" is Freetown, but "order" is not "border".
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy
from spacy.attrs import SPACY
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from civicwatch.classify.actors import most_mentioned
from civicwatch.classify.architectures import token_columns

ACTOR_KINDS = ("actor", "actor_generic", "actor_place")
_FOUND_KINDS = ACTOR_KINDS + ("district", "region")
FUZZY_MIN_LENGTH = 5
# Five-letter words are too often real words one letter away from a term ("mayor", "major"): for them
# only a dropped, added or swapped letter counts.
SUBSTITUTION_MIN_LENGTH = 6
_FUZZY_CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class GazetteerTerms:
    """The taxonomy's words for each actor, region and district code.

    `actors` name a service; `actor_generic` (words such as "officer" or a rank) and `actor_places`
    ("barracks", "station") only hint at one (see civicwatch.classify.actors).
    """

    actors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    regions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    districts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    district_regions: Mapping[str, str] = field(default_factory=dict)
    actor_generic: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    actor_places: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "actors": {code: list(terms) for code, terms in sorted(self.actors.items())},
            "actor_generic": {code: list(terms) for code, terms in sorted(self.actor_generic.items())},
            "actor_places": {code: list(terms) for code, terms in sorted(self.actor_places.items())},
            "regions": {code: list(terms) for code, terms in sorted(self.regions.items())},
            "districts": {code: list(terms) for code, terms in sorted(self.districts.items())},
            "district_regions": dict(sorted(self.district_regions.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GazetteerTerms:
        def terms(key: str) -> dict[str, tuple[str, ...]]:
            return {str(code): tuple(str(t) for t in values) for code, values in (data.get(key) or {}).items()}

        return cls(terms("actors"), terms("regions"), terms("districts"),
                   {str(k): str(v) for k, v in (data.get("district_regions") or {}).items()},
                   terms("actor_generic"), terms("actor_places"))

    def fingerprint(self) -> str:
        """A short hash of every term (computed once: the terms never change)."""
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Places:
    """What the gazetteer found in one text (codes, or None)."""

    actor: str | None = None
    region: str | None = None
    district: str | None = None


def deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _one_substitution(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(1 for x, y in zip(a, b, strict=False) if x != y) == 1


def edit_distance_at_most_one(a: str, b: str) -> bool:
    """Optimal string alignment distance <= 1 (insert, delete, substitute or swap two neighbours)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        first, second = diffs[0], diffs[-1]
        return len(diffs) == 2 and second == first + 1 and a[first] == b[second] and a[second] == b[first]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


class Gazetteer:
    """Finds the actor, district and region named in a document."""

    def __init__(self, terms: GazetteerTerms, vocab: Vocab, make_doc: Callable[[str], Doc],
                 common_words: Iterable[str] = ()) -> None:
        self.terms = terms
        self.vocab = vocab
        self.make_doc = make_doc
        self.common_words = frozenset(word.lower() for word in common_words)
        self.matcher = PhraseMatcher(vocab, attr="LOWER")
        self.capitals_matcher = PhraseMatcher(vocab, attr="ORTH")
        self._match_keys: dict[int, tuple[str, str, str]] = {}  # match id: (the kinds it competes with, kind, code)
        term_words: set[str] = set()
        for kind, table in (("actor", terms.actors), ("actor_generic", terms.actor_generic),
                            ("actor_place", terms.actor_places), ("district", terms.districts),
                            ("region", terms.regions)):
            for code, values in table.items():
                key = f"{kind}\x1f{code}"
                self._match_keys[vocab.strings.add(key)] = ("actor" if kind in ACTOR_KINDS else kind, kind, code)
                spellings = {value.strip() for value in values if value.strip()}
                capitals = [make_doc(value) for value in sorted(v for v in spellings if is_capitals_term(v))]
                patterns = [make_doc(value) for value in sorted({v.lower() for v in spellings
                                                                  if not is_capitals_term(v)})]
                patterns = [pattern for pattern in patterns if len(pattern)]
                if patterns:
                    self.matcher.add(key, patterns)
                if capitals:
                    self.capitals_matcher.add(key, capitals)
                for pattern in patterns:
                    term_words.update(token.lower_ for token in pattern)
        self.term_words = frozenset(term_words)
        self._has_capitals = len(self.capitals_matcher) > 0
        self._fuzzy_index: dict[str, set[str]] = {}
        for word in self.term_words:
            if len(word) >= FUZZY_MIN_LENGTH and word.isalpha():
                for variant in deletions(word) | {word}:
                    self._fuzzy_index.setdefault(variant, set()).add(word)
        self._fuzzy_cache: dict[str, str | None] = {}
        self._hash_cache: dict[int, str | None] = {}
        self._no_correction: set[int] = set()  # hashes of words that are no misspelling of a term

    @property
    def fingerprint(self) -> str:
        return self.terms.fingerprint()

    def correct_word(self, word: str) -> str | None:
        """The term word this word is a misspelling of, or None."""
        if word in self._fuzzy_cache:
            return self._fuzzy_cache[word]
        found: str | None = None
        if (len(word) >= FUZZY_MIN_LENGTH and word.isalpha() and word not in self.term_words
                and word not in self.common_words):
            candidates: set[str] = set()
            for variant in deletions(word) | {word}:
                candidates.update(self._fuzzy_index.get(variant, ()))
            # People rarely get the first letter wrong; requiring it keeps "harder" from being "warder".
            matches = sorted(c for c in candidates if c[0] == word[0] and edit_distance_at_most_one(word, c)
                             and not (len(word) < SUBSTITUTION_MIN_LENGTH and _one_substitution(word, c)))
            found = matches[0] if len(matches) == 1 else None
        if len(self._fuzzy_cache) < _FUZZY_CACHE_LIMIT:
            self._fuzzy_cache[word] = found
        return found

    def _corrections(self, words: numpy.ndarray) -> dict[int, str]:
        """The term word each of these lower-case forms (string hashes) is a misspelling of, for those that are."""
        corrections: dict[int, str] = {}
        unsure = set(numpy.unique(words).tolist()) - self._no_correction  # usually empty: every word seen before
        for word in unsure:
            replacement = self._correct_hash(word)
            if replacement is not None:
                corrections[word] = replacement
        return corrections

    def _corrected(self, doc: Doc, corrections: Mapping[int, str]) -> Doc:
        """A copy of the doc with its misspelt term words replaced (matched on lower-case forms)."""
        strings = self.vocab.strings
        words = [corrections.get(word) or strings[word] for word in token_columns(doc)[:, 0].tolist()]
        return Doc(self.vocab, words=words, spaces=[bool(space) for space in doc.to_array([SPACY]).reshape(-1)])

    def _correct_hash(self, word: int) -> str | None:
        if word in self._hash_cache:
            return self._hash_cache[word]
        found = self.correct_word(self.vocab.strings[word])
        if found is None and len(self._no_correction) < _FUZZY_CACHE_LIMIT:
            self._no_correction.add(word)
        elif len(self._hash_cache) < _FUZZY_CACHE_LIMIT:
            self._hash_cache[word] = found
        return found

    def mentions(self, doc: Doc) -> dict[str, list[tuple[str, int]]]:
        """(code, token position) of every mention, by kind; overlapping mentions keep the longest.

        The three kinds of actor words compete for the same tokens: in "military officer" or "police
        station" the compound wins over "officer" or "station"."""
        return next(self.mentions_many([doc]))

    def mentions_many(self, docs: list[Doc]) -> Iterator[dict[str, list[tuple[str, int]]]]:
        """mentions() of each doc in turn, with the misspellings looked up once for the whole batch."""
        if not docs:
            return
        lowers = numpy.concatenate([token_columns(doc)[:, 0] for doc in docs])
        corrections = self._corrections(lowers)
        misspelt: set[int] = set()
        if corrections:
            owners = numpy.repeat(numpy.arange(len(docs)), [len(doc) for doc in docs])
            wrong = numpy.fromiter(corrections, dtype="uint64", count=len(corrections))
            misspelt = set(owners[numpy.isin(lowers, wrong)].tolist())
        for i, doc in enumerate(docs):
            yield self._mentions(doc, self._corrected(doc, corrections) if i in misspelt else doc)

    def _mentions(self, doc: Doc, target: Doc) -> dict[str, list[tuple[str, int]]]:
        """The mentions in a doc, whose words with their misspellings corrected are `target`'s."""
        found: dict[str, list[tuple[str, int]]] = {kind: [] for kind in _FOUND_KINDS}
        matches = self.matcher(target)
        if self._has_capitals:
            matches = matches + self.capitals_matcher(doc)
        if not matches:
            return found
        spans: dict[str, list[tuple[int, int, str, str]]] = {"actor": [], "district": [], "region": []}
        for match_id, start, end in matches:
            group, kind, code = self._match_keys[match_id]
            spans[group].append((start, end, kind, code))
        for candidates in spans.values():
            for start, _, kind, code in _longest_first(candidates):
                found[kind].append((code, start))
        return found

    def find(self, doc: Doc) -> Places:
        """The most mentioned actor and district (the first mentioned on a tie); the region follows the
        district, or comes from a region's own terms."""
        mentions = self.mentions(doc)
        places = self.places(mentions)
        return Places(actor=most_mentioned(mentions["actor"]), region=places.region, district=places.district)

    def places(self, mentions: Mapping[str, list[tuple[str, int]]]) -> Places:
        """District and region from mentions (the actor is left to the caller)."""
        district = most_mentioned(mentions["district"])
        region = self.terms.district_regions.get(district) if district else None
        if region is None:
            region = most_mentioned(mentions["region"])
        return Places(region=region, district=district)




def _longest_first(spans: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """spaCy's filter_spans on (start, end, kind, code) tuples: the longest spans win, then the earliest; the
    survivors in text order."""
    if len(spans) < 2:
        return spans
    kept: list[tuple[int, int, str, str]] = []
    taken: set[int] = set()
    for span in sorted(spans, key=lambda span: (span[1] - span[0], -span[0]), reverse=True):
        if span[0] not in taken and span[1] - 1 not in taken:
            kept.append(span)
            taken.update(range(span[0], span[1]))
    return sorted(kept, key=lambda span: span[0])


def is_capitals_term(term: str) -> bool:
    """A term written all in capitals, matched only in capitals ("NIA" but not Krio "nia", near)."""
    return term.isupper()


def normalised_terms(terms: Iterable[object] | None, name: str | None) -> tuple[str, ...]:
    """A taxonomy entry's terms and name, stripped, lower-cased unless written all in capitals, once each."""
    values = [term for term in (terms or []) if isinstance(term, str)] + ([name] if name else [])
    stripped = (value.strip() for value in values if value and value.strip())
    return tuple(dict.fromkeys(value if is_capitals_term(value) else value.lower() for value in stripped))


def terms_from_taxonomy(data: Mapping[str, Any]) -> GazetteerTerms:
    """Terms from a taxonomy file's data (the same shape `load_taxonomy` reads); names count as terms."""
    regions = list(data.get("regions") or [])
    actors = list(data.get("actors") or [])
    return GazetteerTerms(
        actors={a["code"]: normalised_terms(a.get("terms", []), a.get("name")) for a in actors},
        actor_generic={a["code"]: normalised_terms(a.get("generic_terms", []), None) for a in actors},
        actor_places={a["code"]: normalised_terms(a.get("place_terms", []), None) for a in actors},
        regions={r["code"]: normalised_terms(r.get("terms", []), r.get("name")) for r in regions},
        districts={d["code"]: normalised_terms(d.get("terms", []), d.get("name"))
                   for r in regions for d in r.get("districts", [])},
        district_regions={d["code"]: r["code"] for r in regions for d in r.get("districts", [])},
    )
