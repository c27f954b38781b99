"""The classifier: a trained model directory loaded once, answering `classify(text)`.

A model directory holds the spaCy pipeline (`pipeline/`), `meta.json` (labels, urgency threshold,
the theme head's weight, smoothing and temperature, the triage threshold, the actor thresholds, metrics,
data hash), `smoothed_head.npz` (the naive Bayes head, when its weight is above 0), `tfidf_vocabulary.json` and
`tfidf_head.npz` (the TF-IDF head, when its weight is above 0; models before it have none), `gazetteer.json` (the
taxonomy terms at training time), `words.json` (how often each word of the project's examples occurred in
training, for the misspelling guard and for spotting unfamiliar text) and `complaint_word_ids.json` (the words only
staff corrections used, as spaCy ids: complaints' words are never saved in clear, as a complaint may be erased).
"""
from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy
import spacy
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.strings import get_string_id
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

import civicwatch.classify.architectures  # noqa: F401  (registers the model architectures)
from civicwatch.classify.actors import ActorThresholds, choose_actor
from civicwatch.classify.architectures import FusedLinear, docs_features, feature_layer, token_columns
from civicwatch.classify.files import COMPLAINT_WORDS_FILE, GAZETTEER_FILE, META_FILE, PIPELINE_DIR, WORDS_FILE
from civicwatch.classify.gazetteer import Gazetteer, GazetteerTerms
from civicwatch.classify.shared_features import SharedFeatures
from civicwatch.classify.smoothed import HEAD_FILE, Calibration, FeatureRows, NaiveBayes, load_head
from civicwatch.classify.text import has_words, prepare_texts
from civicwatch.classify.tfidf import TfidfHead, has_tfidf_head, load_tfidf_head
from civicwatch.classify.training import (
    ACTOR,
    ACTOR_PREFIX,
    COMMON_WORD_COUNT,
    THEME,
    URGENCY,
    URGENT_LABEL,
    TrainedPipeline,
    now_flags,
    with_immediacy,
)

# Below this share of words seen in training, the text is probably in another language or noise:
# its theme is not trusted (confidence 0), so it goes to a person.
FAMILIAR_SHARE = 0.4
# How many distinct whitespace-separated chunks the tokenizer remembers the tokens of (spaCy's default, 10,000,
# is fewer than the corpus alone holds: past it, every further chunk is split by the prefix, suffix and infix
# rules each time it is read). A memo only: the tokens are the same. At most a few tens of MB.
TOKENIZER_CACHE = 500_000


class ModelLoadError(RuntimeError):
    """A model directory that is missing, incomplete or unreadable."""


@dataclass(frozen=True)
class Classification:
    """What the classifier read in one text. Codes are taxonomy codes; scores are 0..1."""

    theme: str | None
    confidence: float
    scores: dict[str, float]
    actor: str | None
    region: str | None
    district: str | None
    urgent: bool
    model_version: str | None
    urgency_score: float | None = None
    familiar: bool = True
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["notes"] = list(self.notes)
        return data


class Classifier:
    """A loaded model plus a gazetteer. Safe to share between threads: classifying changes no state
    except caches."""

    def __init__(self, nlp: Language, meta: Mapping[str, Any], gazetteer: Gazetteer,
                 word_counts: Mapping[str, int], head: NaiveBayes | None = None, *,
                 linear: FusedLinear | None = None, shared: SharedFeatures | None = None,
                 complaint_word_ids: Iterable[int] = (), tfidf_head: TfidfHead | None = None) -> None:
        self.nlp = nlp
        tokenizer = cast(Tokenizer, nlp.tokenizer)
        tokenizer.max_cache_size = max(tokenizer.max_cache_size, TOKENIZER_CACHE)
        self.meta = dict(meta)
        self.gazetteer = gazetteer
        self.word_counts = dict(word_counts)
        self.complaint_word_ids = tuple(complaint_word_ids)
        self.labels: list[str] = list(meta["labels"])
        urgency = meta.get("urgency") or {}
        self.urgency_threshold: float | None = urgency.get("threshold")
        # A model trained before the immediacy factor has none: its scores are read as they are.
        self.urgency_factor = float(urgency.get("immediacy_factor", 1.0))
        actor = meta.get("actor") or {}
        self.actor_codes: list[str] = list(actor.get("codes") or [])
        self.actor_thresholds = ActorThresholds.from_dict(actor.get("thresholds"))
        theme_head = meta.get("theme_head") or {}
        self.calibration = Calibration(float(theme_head.get("weight", 0.0)), float(theme_head.get("smoothing", 0.0)),
                                       float(theme_head.get("temperature", 1.0)),
                                       float(theme_head.get("linear_weight", 0.0)))
        self.head = head if head is not None and self.calibration.weight > 0 else None
        self.tfidf_head = tfidf_head if tfidf_head is not None and self.calibration.linear_weight > 0 else None
        self._features = feature_layer(cast(TextCategorizer, nlp.get_pipe(THEME)).model) if self.head is not None else None
        # The labels in the order the theme classifier scores them (meta's order is sorted; so is training's).
        self._theme_columns = list(meta["labels"])
        self._variants: dict[str, Classifier] = {}
        self._has_urgency = URGENCY in nlp.pipe_names
        self._has_actor = ACTOR in nlp.pipe_names
        self._components = [name for name in (THEME, URGENCY, ACTOR) if name in nlp.pipe_names]
        # The three classifiers read in one pass when they share their features (see FusedLinear); built once
        # per loaded model and shared by its variants with other gazetteer terms.
        models = [cast(TextCategorizer, nlp.get_pipe(name)).model for name in self._components]
        self._linear = linear if linear is not None else FusedLinear.of(models)
        # Otherwise, when only their character weights differ, their features are computed once for all of them.
        self._shared = shared if shared is not None or self._linear is not None else SharedFeatures.of(models)
        self._known_words = numpy.asarray(
            sorted({get_string_id(word) for word in self.word_counts}.union(self.complaint_word_ids)), dtype="uint64")
        # Where each component's labels sit among its scores (its own order): worked out once, not per batch.
        wanted = {THEME: self._theme_columns, URGENCY: [URGENT_LABEL],
                  ACTOR: [ACTOR_PREFIX + code for code in self.actor_codes]}
        self._column_positions = {name: _positions(list(cast(TextCategorizer, nlp.get_pipe(name)).labels),
                                                   wanted[name]) for name in self._components}

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    @property
    def triage_threshold(self) -> float | None:
        """The confidence threshold chosen at training time for the target accuracy of routed cases."""
        value = (self.meta.get("triage") or {}).get("threshold")
        return float(value) if value is not None else None

    @classmethod
    def load(cls, path: Path | str, terms: GazetteerTerms | None = None) -> Classifier:
        """Load a model directory; `terms` replaces the gazetteer saved with it (the database's terms)."""
        path = Path(path)
        try:
            meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
            word_counts = json.loads((path / WORDS_FILE).read_text(encoding="utf-8"))
            # Models saved before complaints' words were kept apart have no such file.
            complaint_words = path / COMPLAINT_WORDS_FILE
            complaint_word_ids = json.loads(complaint_words.read_text()) if complaint_words.exists() else []
            saved_terms = GazetteerTerms.from_dict(json.loads((path / GAZETTEER_FILE).read_text(encoding="utf-8")))
            nlp = spacy.load(path / PIPELINE_DIR)
            head = load_head(path / HEAD_FILE) if (path / HEAD_FILE).is_file() else None
            tfidf_head = load_tfidf_head(path) if has_tfidf_head(path) else None
            if not isinstance(meta, dict) or "textcat" not in nlp.pipe_names or "labels" not in meta \
                    or "version" not in meta:
                raise ModelLoadError(f"the model in {path.name} has no theme classifier")
            return cls(nlp, meta, _gazetteer(nlp, terms or saved_terms, word_counts), word_counts, head,
                       complaint_word_ids=complaint_word_ids, tfidf_head=tfidf_head)
        except ModelLoadError:
            raise
        except Exception as exc:  # any damage to the directory (a file missing, cut short, of another version)
            raise ModelLoadError(f"cannot load the model in {path.name}: {type(exc).__name__}") from exc

    @classmethod
    def from_pipeline(cls, trained: TrainedPipeline, terms: GazetteerTerms, version: str) -> Classifier:
        """A classifier straight from training, without saving it (to measure it)."""
        meta = {"version": version, **model_meta(trained)}
        return cls(trained.nlp, meta, _gazetteer(trained.nlp, terms, trained.word_counts), trained.word_counts,
                   trained.head, complaint_word_ids=trained.complaint_word_ids, tfidf_head=trained.tfidf_head)

    def with_terms(self, terms: GazetteerTerms) -> Classifier:
        """The same model with another gazetteer (the same object if the terms are unchanged)."""
        fingerprint = terms.fingerprint()
        if fingerprint == self.gazetteer.fingerprint:
            return self
        variant = self._variants.get(fingerprint)
        if variant is None:
            variant = Classifier(self.nlp, self.meta, _gazetteer(self.nlp, terms, self.word_counts),
                                 self.word_counts, self.head, linear=self._linear, shared=self._shared,
                                 complaint_word_ids=self.complaint_word_ids, tfidf_head=self.tfidf_head)
            if len(self._variants) >= 4:  # the taxonomy changed more than once since loading
                self._variants.clear()
            self._variants[fingerprint] = variant
        return variant

    def classify(self, text: object) -> Classification:
        """Theme, confidence, all scores, actor, region, district, urgency. Never raises on odd text."""
        return self.classify_many([text])[0]

    def classify_many(self, texts: Iterable[object], batch_size: int = 256) -> list[Classification]:
        prepared = prepare_texts(list(texts))
        readable = [i for i, text in enumerate(prepared) if has_words(text)]
        results: list[Classification | None] = [None] * len(prepared)
        make_doc = self.nlp.make_doc
        for start in range(0, len(readable), max(1, batch_size)):
            rows = readable[start:start + max(1, batch_size)]
            docs = [make_doc(prepared[i]) for i in rows]
            for i, result in zip(rows, self._read_batch(docs, [prepared[i] for i in rows]), strict=True):
                results[i] = result
        return [result if result is not None else self._nothing_to_read() for result in results]

    def _read_batch(self, docs: list[Doc], texts: list[str]) -> list[Classification]:
        """Every component's scores for the batch straight from its model (no doc.cats dictionaries), then
        each doc's answer. `texts` are the docs' prepared texts (doc.text would join the tokens again)."""
        raw = self._raw_scores(docs)
        theme = self._columns(THEME, raw)
        linear_log = self.tfidf_head.log_posteriors(texts) if self.tfidf_head is not None else None
        probabilities = self.calibration.combine(theme, raw.get("naive_bayes"), linear_log)
        urgency = self._columns(URGENCY, raw) if self._has_urgency else None
        actors = self._columns(ACTOR, raw) if self._has_actor else None
        familiar = (self._familiar_shares(docs) >= FAMILIAR_SHARE).tolist()
        # Rounded for the whole batch, at a fraction of the cost of one round(p, 4) per score; the two differ
        # only for a score exactly half-way between two 4-decimal values (none among 3 million random ones).
        rounded = numpy.round(probabilities, 4)
        if urgency is not None and self.urgency_factor != 1.0:
            urgency[:, 0] = with_immediacy(urgency[:, 0], now_flags(texts), self.urgency_factor)
        urgent = numpy.round(urgency[:, 0], 4).tolist() if urgency is not None else [None] * len(docs)
        # Each doc's rows and mentions are made as its turn comes, not for the whole batch first: objects alive
        # across the batch outlive the young garbage collections, and enough of them bring on a full collection
        # of every object in the process (about 0.3 s with the model loaded).
        return [self._read(mentions, rounded[row].tolist(), familiar[row], urgent[row],
                           actors[row].tolist() if actors is not None else None)
                for row, mentions in enumerate(self.gazetteer.mentions_many(docs))]

    def _raw_scores(self, docs: list[Doc]) -> dict[str, numpy.ndarray]:
        """Each component's scores (its own label order) and the smoothed head's log posteriors, with the
        features flattened once for all of them when the components share them."""
        raw: dict[str, numpy.ndarray] = {}
        if self._linear is not None:
            keys, values, lengths = self._linear.features_of(docs)
            for name, scores in zip(self._components, self._linear.predict(keys, values, lengths), strict=True):
                raw[name] = scores
            if self.head is not None:
                raw["naive_bayes"] = self.head.log_posteriors(FeatureRows.from_flat(keys, values, lengths,
                                                                                    self.head.size))
            return raw
        if self._shared is not None:
            keys, by_weight, lengths = self._shared.features_of(docs)
            for name, scores in zip(self._components, self._shared.predict(keys, by_weight, lengths), strict=True):
                raw[name] = scores
            if self.head is not None:
                theme_values = by_weight[self._shared.readers[0][0]]  # the theme classifier comes first
                raw["naive_bayes"] = self.head.log_posteriors(FeatureRows.from_flat(keys, theme_values, lengths,
                                                                                    self.head.size))
            return raw
        for name in self._components:
            raw[name] = numpy.asarray(cast(TextCategorizer, self.nlp.get_pipe(name)).predict(docs))
        if self.head is not None and self._features is not None:
            raw["naive_bayes"] = self.head.log_posteriors(
                FeatureRows.build(docs_features(self._features, docs), self.head.size))
        return raw

    def _columns(self, name: str, raw: Mapping[str, numpy.ndarray]) -> numpy.ndarray:
        """A component's scores (float64, columns in the order of the labels the classifier reads: the theme
        labels, the urgent label, the actor codes; 0 for a label it does not know), exactly the values spaCy
        would have written to doc.cats."""
        known, positions = self._column_positions[name]
        scores = numpy.asarray(raw[name], dtype="float64").reshape(-1, known)
        if positions is None:
            return scores
        columns = numpy.zeros((len(scores), len(positions)), dtype="float64")
        for column, position in enumerate(positions):
            if position >= 0:
                columns[:, column] = scores[:, position]
        return columns

    def theme_probabilities(self, docs: list[Doc]) -> numpy.ndarray:
        """The calibrated theme probabilities of each doc already run through the pipeline (columns in
        `labels` order): the text classifier mixed with the smoothed head, divided by the temperature."""
        textcat = numpy.asarray([[doc.cats.get(label, 0.0) for label in self._theme_columns] for doc in docs],
                                dtype="float64").reshape(len(docs), len(self._theme_columns))
        return self._calibrated(textcat, docs)

    def _calibrated(self, textcat: numpy.ndarray, docs: list[Doc]) -> numpy.ndarray:
        nb_log = None
        if self.head is not None and self._features is not None and docs:
            rows = FeatureRows.build(docs_features(self._features, docs), self.head.size)
            nb_log = self.head.log_posteriors(rows)
        linear_log = self.tfidf_head.log_posteriors([doc.text for doc in docs]) if self.tfidf_head is not None else None
        return self.calibration.combine(textcat, nb_log, linear_log)

    def _nothing_to_read(self) -> Classification:
        return Classification(theme=None, confidence=0.0, scores={}, actor=None, region=None, district=None,
                              urgent=False, model_version=self.version, urgency_score=None, familiar=False,
                              notes=("no words to read",))

    def familiar_share(self, doc: Doc) -> float:
        """Share of the doc's words (letters only, two or more) that occurred in the training texts."""
        return float(self._familiar_shares([doc])[0])

    def _familiar_shares(self, docs: list[Doc]) -> numpy.ndarray:
        """familiar_share of each doc, with one search of the known words for the whole batch."""
        known = self._known_words
        if not docs or not len(known):
            return numpy.zeros(len(docs), dtype="float64")
        # Every doc's tokens in one array, each with its doc's number: one mask and one search for the batch.
        columns = numpy.concatenate([token_columns(doc) for doc in docs])
        owners = numpy.repeat(numpy.arange(len(docs)), [len(doc) for doc in docs])
        counted = (columns[:, 1] == 1) & (columns[:, 2] > 1)
        words, owners = columns[counted, 0], owners[counted]
        lengths = numpy.bincount(owners, minlength=len(docs))
        if not len(words):
            return numpy.zeros(len(docs), dtype="float64")
        positions = numpy.minimum(numpy.searchsorted(known, words), len(known) - 1)
        hits = numpy.bincount(owners, weights=known[positions] == words, minlength=len(docs))
        return numpy.divide(hits, lengths, out=numpy.zeros(len(docs), dtype="float64"), where=lengths > 0)

    def _read(self, mentions: Mapping[str, list[tuple[str, int]]], probabilities: list[float], familiar: bool,
              urgency_score: float | None, actors: list[float] | None) -> Classification:
        """One doc's answer from its gazetteer mentions, rounded theme probabilities and urgency score."""
        scores = dict(zip(self._theme_columns, probabilities, strict=True))
        best = max(self.labels, key=scores.__getitem__)
        theme: str | None = best
        confidence = min(1.0, max(0.0, scores[best]))
        notes: tuple[str, ...] = ()
        if not familiar:
            notes = ("most words are unknown to the model",)
            theme, confidence = None, 0.0
        # An unreadable text scores near the urgency model's prior, which the recall-first threshold
        # may pass; the flag would then mean nothing, so it is left to the person who reads it.
        urgent = familiar and urgency_score is not None and self.urgency_threshold is not None and (
            urgency_score >= self.urgency_threshold)
        places = self.gazetteer.places(mentions)
        probabilities_by_code = dict(zip(self.actor_codes, actors, strict=True)) if actors is not None else None
        actor = choose_actor(mentions, probabilities_by_code, self.actor_thresholds)
        return Classification(theme=theme, confidence=round(confidence, 4), scores=scores, actor=actor,
                              region=places.region, district=places.district, urgent=urgent,
                              model_version=self.version, urgency_score=urgency_score, familiar=familiar,
                              notes=notes)


def model_meta(trained: TrainedPipeline) -> dict[str, Any]:
    """What a model's meta.json says about how to read its scores (labels, head, thresholds)."""
    calibration = trained.calibration
    return {
        "labels": trained.labels,
        "theme_head": {"kind": "multinomial naive Bayes over the theme model's hashed features",
                       "weight": calibration.weight, "smoothing": calibration.smoothing,
                       "temperature": round(calibration.temperature, 4), "linear_weight": calibration.linear_weight,
                       "linear_head": "logistic regression over TF-IDF word 1-2-grams",
                       "chosen_on": trained.calibration_report},
        "triage": trained.triage,
        "urgency": {"label": "urgent", "threshold": trained.urgency_threshold,
                    "immediacy_factor": trained.urgency_factor, "chosen_with": trained.urgency_cv}
        if trained.urgency_threshold is not None else None,
        "actor": {"codes": trained.actor_codes, "thresholds": trained.actor_thresholds.as_dict(),
                  "chosen_on": trained.actor_report} if trained.actor_codes else None,
    }


def _positions(known: list[str], labels: list[str]) -> tuple[int, list[int] | None]:
    """The number of a component's scores and where each of `labels` is among them (-1: not there); None for
    the positions when the labels are the scores' own order."""
    positions = [known.index(label) if label in known else -1 for label in labels]
    return len(known), None if positions == list(range(len(known))) else positions


def _gazetteer(nlp: Language, terms: GazetteerTerms, word_counts: Mapping[str, int]) -> Gazetteer:
    common = (word for word, count in word_counts.items() if count >= COMMON_WORD_COUNT)
    return Gazetteer(terms, nlp.vocab, nlp.make_doc, common_words=common)


_cache: dict[str, Classifier] = {}
_cache_lock = threading.Lock()


def load_classifier(path: Path | str) -> Classifier:
    """The classifier in a model directory, loaded once per process (and kept while it is in use)."""
    key = str(Path(path).resolve())
    with _cache_lock:
        cached = _cache.get(key)
        if cached is None:
            cached = Classifier.load(key)
            _cache.clear()  # one model at a time: a new active model replaces the old one
            _cache[key] = cached
        return cached
