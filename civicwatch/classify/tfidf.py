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
from pathlib import Path

import numpy

VOCABULARY_FILE = "tfidf_vocabulary.json"
ARRAYS_FILE = "tfidf_head.npz"
MIN_DF = 2
# scikit-learn's default token pattern, read here without it: its transform costs about half a millisecond per
# call before the first word (checks, sparse matrices), a sixth of the app path's budget for one complaint.
TOKEN = re.compile(r"(?u)\b\w\w+\b")
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
        coefficients: the words are looked up text by text, the counting and arithmetic done once for the batch."""
        scores = numpy.tile(self.intercept, (len(texts), 1))
        found: list[int] = []
        per_text = numpy.zeros(len(texts), dtype="int64")
        for row, text in enumerate(texts):
            text_columns = self.columns(text)
            found += text_columns
            per_text[row] = len(text_columns)
        if found:
            # (row, column) pairs counted at once; unique sorts them by row, then column.
            width = len(self.idf)
            rows = numpy.repeat(numpy.arange(len(texts), dtype="int64"), per_text)
            pairs, counts = numpy.unique(rows * width + numpy.asarray(found, dtype="int64"), return_counts=True)
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
