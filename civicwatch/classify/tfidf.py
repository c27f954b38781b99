"""The linear theme head: logistic regression over TF-IDF word 1-2-grams of the prepared text.

It reads whole words and word pairs weighted by how rare they are in the training texts, where the text
classifier reads hashed subword features: the two disagree on about a sixth of the Philadelphia complaints,
and one or the other is right more often than either alone. Its log-probabilities join the theme mix with a
weight chosen on the development split like the smoothed head's (civicwatch.classify.smoothed), 0 allowed.

Saved without pickle: the vocabulary as JSON, the idf, coefficients and intercepts as plain numpy arrays
(read with allow_pickle off), so a model directory holds data only, never code to run.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from itertools import chain, repeat
from pathlib import Path

import numpy

VOCABULARY_FILE = "tfidf_vocabulary.json"
ARRAYS_FILE = "tfidf_head.npz"
MIN_DF = 2
# scikit-learn's default token pattern, read here without it: its transform costs about half a millisecond per
# call before the first word (checks, sparse matrices), a sixth of the app path's budget for one complaint.
# Written \w{2,}, not (?u)\b\w\w+\b: the same words (a greedy run of word characters ends at a boundary, and a
# search only starts inside a run after failing at its start, which a run of two or more never does), found in
# two thirds of the time.
TOKEN = re.compile(r"\w{2,}")
# A label the head never saw in training: a score this far below the others, not minus infinity.
ABSENT_LABEL = -30.0


class TfidfHead:
    """The vocabulary (term -> column), each column's idf, and one row of coefficients per label."""

    def __init__(self, vocabulary: dict[str, int], idf: numpy.ndarray, coef: numpy.ndarray,
                 intercept: numpy.ndarray) -> None:
        self.vocabulary = vocabulary
        self.idf = idf.astype("float32")
        self.coef = coef.astype("float32")  # labels x terms
        self.intercept = intercept.astype("float64")
        self._by_term = numpy.ascontiguousarray(self.coef.T)  # terms x labels: one row read per term
        self._pairs = _pair_index(vocabulary)

    @classmethod
    def fit(cls, texts: Sequence[str], targets: numpy.ndarray, n_labels: int, c: float) -> TfidfHead | None:
        """None when the texts hold too few words to build a vocabulary from."""
        # Imported here, not above: scikit-learn (and SciPy with it) is for training only, and importing it would
        # cost every app process, which only scores, about 75 MB.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vectoriser = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=MIN_DF, dtype=numpy.float32)
        try:
            features = vectoriser.fit_transform(list(texts))
        except ValueError:  # no term in two texts or more
            return None
        present = numpy.unique(targets)
        coef = numpy.zeros((n_labels, features.shape[1]), dtype="float64")
        intercept = numpy.full(n_labels, ABSENT_LABEL, dtype="float64")
        if len(present) < 2:
            intercept[present] = 0.0
        else:
            model = LogisticRegression(C=c, max_iter=1000)
            model.fit(features, targets)
            if len(present) == 2:  # one row of coefficients for the second class against the first
                coef[present[1]], intercept[present[0]], intercept[present[1]] = model.coef_[0], 0.0, model.intercept_[0]
            else:
                coef[present], intercept[present] = model.coef_, model.intercept_
        vocabulary = {str(term): int(column) for term, column in vectoriser.vocabulary_.items()}
        return cls(vocabulary, vectoriser.idf_, coef, intercept)

    def columns(self, text: str) -> list[int]:
        """The column of each known word and word pair of the text, as often as it occurs."""
        words = TOKEN.findall(text.lower())
        get = self.vocabulary.get
        found = [column for column in map(get, words) if column is not None]
        found += [column for column in map(get, map(" ".join, zip(words, words[1:], strict=False)))
                  if column is not None]
        return found

    def log_posteriors(self, texts: Sequence[str]) -> numpy.ndarray:
        """Each text's TF-IDF vector as scikit-learn's TfidfVectorizer (sublinear tf, l2 norm) gives it, times the
        coefficients: the counting and arithmetic done once for the batch."""
        scores = numpy.tile(self.intercept, (len(texts), 1))
        rows, found = self._batch_columns(texts)
        if len(found):
            # (row, column) pairs counted at once; unique sorts them by row, then column.
            width = len(self.idf)
            pairs, counts = numpy.unique(rows * width + found, return_counts=True)
            pair_rows, columns = numpy.divmod(pairs, width)
            lengths = numpy.bincount(pair_rows, minlength=len(texts))
            present = lengths > 0
            starts = (numpy.cumsum(lengths) - lengths)[present]
            values = (numpy.log(counts.astype("float32")) + 1.0) * self.idf[columns]
            norms = numpy.sqrt(numpy.add.reduceat(values * values, starts))
            values /= numpy.repeat(norms, lengths[present])
            contributions = self._by_term[columns] * values[:, None]
            scores[present] += numpy.add.reduceat(contributions, starts, axis=0)
        shifted = scores - scores.max(axis=1, keepdims=True)
        return shifted - numpy.log(numpy.exp(shifted).sum(axis=1, keepdims=True))

    def _batch_columns(self, texts: Sequence[str]) -> tuple[numpy.ndarray, numpy.ndarray]:
        """The columns columns() finds in every text (in another order), each with its text's row: the words of the
        whole batch are looked up in one pass, and its word pairs with one numpy search of the vocabulary's pairs
        by their words' columns instead of a joined string each."""
        if self._pairs is None:
            per_text = [self.columns(text) for text in texts]
            rows = numpy.repeat(numpy.arange(len(texts), dtype="int64"), [len(columns) for columns in per_text])
            return rows, numpy.fromiter(chain.from_iterable(per_text), dtype="int64", count=len(rows))
        words = [TOKEN.findall(text.lower()) for text in texts]
        total = sum(map(len, words))
        known = numpy.fromiter(map(self.vocabulary.get, chain.from_iterable(words), repeat(-1)), dtype="int64",
                               count=total)
        owners = numpy.repeat(numpy.arange(len(texts), dtype="int64"), [len(text_words) for text_words in words])
        keys, columns = self._pairs
        left, right = known[:-1], known[1:]
        # A pair of the vocabulary is two words of it (see _pair_index): only such neighbours in one text are looked up.
        candidates = numpy.flatnonzero((left >= 0) & (right >= 0) & (owners[:-1] == owners[1:]))
        wanted = left[candidates] * len(self.vocabulary) + right[candidates]
        at = numpy.minimum(numpy.searchsorted(keys, wanted), max(len(keys) - 1, 0))
        hit = keys[at] == wanted if len(keys) else numpy.zeros(len(wanted), dtype=bool)
        words_found = known >= 0
        rows = numpy.concatenate([owners[words_found], owners[candidates[hit]]])
        return rows, numpy.concatenate([known[words_found], columns[at[hit]]])


def _pair_index(vocabulary: dict[str, int]) -> tuple[numpy.ndarray, numpy.ndarray] | None:
    """Each word pair of the vocabulary as (first word's column x vocabulary size + second's), sorted, with the
    pair's own column. A pair is kept only when both its words are (TfidfVectorizer's min_df keeps a word at least
    as often as any pair holding it); None when one is not, and pairs are then looked up as strings."""
    width = len(vocabulary)
    if any(not 0 <= column < width for column in vocabulary.values()):
        return None
    keys, columns = [], []
    for term, column in vocabulary.items():
        if " " not in term:
            continue
        words = term.split(" ")
        if len(words) != 2 or words[0] not in vocabulary or words[1] not in vocabulary:
            return None
        keys.append(vocabulary[words[0]] * width + vocabulary[words[1]])
        columns.append(column)
    order = numpy.argsort(numpy.asarray(keys, dtype="int64"), kind="stable")
    return numpy.asarray(keys, dtype="int64")[order], numpy.asarray(columns, dtype="int64")[order]


def save_tfidf_head(head: TfidfHead, directory: Path) -> None:
    (directory / VOCABULARY_FILE).write_text(json.dumps(head.vocabulary, ensure_ascii=False, sort_keys=True),
                                             encoding="utf-8")
    numpy.savez_compressed(directory / ARRAYS_FILE, idf=head.idf, coef=head.coef, intercept=head.intercept)


def has_tfidf_head(directory: Path) -> bool:
    return (directory / VOCABULARY_FILE).is_file() and (directory / ARRAYS_FILE).is_file()


def load_tfidf_head(directory: Path) -> TfidfHead:
    vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
    if not isinstance(vocabulary, dict):
        raise ValueError("the TF-IDF vocabulary is not a mapping")
    # Opened here, not by numpy.load: a file cut short then still closes.
    with (directory / ARRAYS_FILE).open("rb") as handle, numpy.load(handle, allow_pickle=False) as data:
        idf, coef, intercept = data["idf"], data["coef"], data["intercept"]
    if coef.ndim != 2 or coef.shape != (len(intercept), len(idf)) or len(vocabulary) != len(idf):
        raise ValueError("the TF-IDF head's arrays do not match its vocabulary")
    return TfidfHead({str(k): int(v) for k, v in vocabulary.items()}, idf, coef, intercept)
