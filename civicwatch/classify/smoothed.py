"""The smoothed theme head and the calibration of the combined theme scores.

The text classifier (a linear model trained by gradient descent) fits its own training texts closely;
a naive Bayes model over the same hashed features, with additive smoothing, is cruder but transfers
better to writers it has never seen. The theme score is a weighted mix of the two in log space,
divided by a temperature so that a confidence of 0.8 is right about 80% of the time. The weight
(0 allowed: the text classifier alone), the smoothing and the temperature are chosen at training time
on examples the models were not trained on, never on an evaluation set; so is the triage threshold.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy

HEAD_FILE = "smoothed_head.npz"
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
# The TF-IDF head's weight (civicwatch.classify.tfidf), added to the mix above; 0 first, so a tie keeps it out.
LINEAR_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
SMOOTHING = (0.001, 0.003, 0.01, 0.03, 0.1)
TEMPERATURES = numpy.exp(numpy.linspace(numpy.log(0.05), numpy.log(20.0), 241))
_FLOOR = 1e-9
WILSON_Z = 1.645


def _log_softmax(scores: numpy.ndarray) -> numpy.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - numpy.log(numpy.exp(shifted).sum(axis=1, keepdims=True))


def softmax(scores: numpy.ndarray) -> numpy.ndarray:
    return numpy.exp(_log_softmax(scores))


@dataclass
class FeatureRows:
    """Every text's hashed feature buckets and values, flattened, with each text's number of features."""

    buckets: numpy.ndarray
    values: numpy.ndarray
    lengths: numpy.ndarray

    @classmethod
    def build(cls, features: Sequence[tuple[numpy.ndarray, numpy.ndarray]], size: int) -> FeatureRows:
        lengths = numpy.asarray([len(keys) for keys, _ in features], dtype="int64")
        if not features or not lengths.sum():
            return cls(numpy.zeros(0, "int64"), numpy.zeros(0, "float32"), lengths)
        keys = numpy.concatenate([keys for keys, _ in features])
        values = numpy.concatenate([values for _, values in features]).astype("float32")
        return cls((keys & numpy.uint64(size - 1)).astype("int64"), values, lengths)

    @classmethod
    def from_flat(cls, keys: numpy.ndarray, values: numpy.ndarray, lengths: numpy.ndarray, size: int) -> FeatureRows:
        """The rows of features already flattened (every text's keys one text after another)."""
        return cls((keys & numpy.uint64(size - 1)).astype("int64"), values.astype("float32", copy=False),
                   lengths.astype("int64"))

    def rows(self) -> numpy.ndarray:
        return numpy.repeat(numpy.arange(len(self.lengths)), self.lengths)


class NaiveBayes:
    """Multinomial naive Bayes over hashed feature buckets (values are the features' weights, not counts)."""

    def __init__(self, log_probs: numpy.ndarray, log_prior: numpy.ndarray) -> None:
        self.log_probs = log_probs.astype("float32")  # buckets x labels; 0 where training never saw the bucket
        self.log_prior = log_prior.astype("float32")

    @property
    def size(self) -> int:
        return int(self.log_probs.shape[0])

    @classmethod
    def fit(cls, rows: FeatureRows, targets: numpy.ndarray, n_labels: int, size: int, smoothing: float,
            prior_weight: float) -> NaiveBayes:
        cells = rows.buckets * n_labels + targets[rows.rows()]
        counts = numpy.bincount(cells, weights=rows.values, minlength=size * n_labels).reshape(size, n_labels)
        return cls.from_counts(counts, numpy.bincount(targets, minlength=n_labels), smoothing, prior_weight)

    @classmethod
    def from_counts(cls, counts: numpy.ndarray, label_counts: numpy.ndarray, smoothing: float,
                    prior_weight: float) -> NaiveBayes:
        seen = counts.sum(axis=1) > 0
        vocabulary = max(1, int(seen.sum()))
        totals = counts.sum(axis=0) + smoothing * vocabulary
        log_probs = numpy.log(counts + smoothing) - numpy.log(totals)
        log_probs[~seen] = 0.0
        frequencies = numpy.maximum(label_counts, 1) / max(1, int(label_counts.sum()))
        return cls(log_probs, prior_weight * numpy.log(frequencies))

    def log_posteriors(self, rows: FeatureRows) -> numpy.ndarray:
        n_labels = self.log_probs.shape[1]
        scores = numpy.tile(self.log_prior.astype("float64"), (len(rows.lengths), 1))
        if len(rows.values):
            contributions = numpy.take(self.log_probs, rows.buckets, axis=0) * rows.values[:, None]
            # Each text's features are contiguous: sum them per text with one reduceat.
            present = rows.lengths > 0
            starts = (numpy.cumsum(rows.lengths) - rows.lengths)[present]
            scores[present] += numpy.add.reduceat(contributions, starts, axis=0)
        return _log_softmax(scores.reshape(-1, n_labels))


@dataclass
class Calibration:
    """How the heads are mixed and scaled: log p = softmax(((1-w) log textcat + w log nb + v log tfidf) / T),
    v the TF-IDF head's weight (`linear_weight`; 0 in models trained before it)."""

    weight: float
    smoothing: float
    temperature: float
    linear_weight: float = 0.0

    def combine(self, textcat: numpy.ndarray, nb_log: numpy.ndarray | None,
                linear_log: numpy.ndarray | None = None) -> numpy.ndarray:
        mixed = (1.0 - self.weight) * numpy.log(numpy.maximum(textcat, _FLOOR))
        if nb_log is not None and self.weight > 0:
            mixed = mixed + self.weight * nb_log
        if linear_log is not None and self.linear_weight > 0:
            mixed = mixed + self.linear_weight * linear_log
        return softmax(mixed / self.temperature)


def fit_temperature(scores: numpy.ndarray, gold: numpy.ndarray) -> tuple[float, float]:
    """The temperature that minimises the log-loss of softmax(scores / T): (T, mean log-loss)."""
    best = (1.0, float("inf"))
    for temperature in TEMPERATURES:
        log_p = _log_softmax(scores / temperature)
        loss = float(-log_p[numpy.arange(len(gold)), gold].mean())
        if loss < best[1]:
            best = (float(temperature), loss)
    return best


def _macro_f1(gold: numpy.ndarray, predicted: numpy.ndarray) -> float:
    scores = []
    for label in numpy.unique(gold):
        tp = int(((gold == label) & (predicted == label)).sum())
        fp = int(((gold != label) & (predicted == label)).sum())
        fn = int(((gold == label) & (predicted != label)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(numpy.mean(scores)) if scores else 0.0


def choose_calibration(textcat: numpy.ndarray, nb_logs: dict[float, numpy.ndarray], gold: numpy.ndarray,
                       linear_log: numpy.ndarray | None = None) -> tuple[Calibration, dict[str, Any]]:
    """The weights and smoothing whose mix, scaled by its own best temperature, has the lowest held-out log-loss,
    and that temperature. The TF-IDF head's weight (when its scores are given) is one more dimension of the same
    search; the report also gives the best mix without it (`without_linear`), the two-head choice.

    Log-loss reads how sure the mix is of every example's label, not only which label wins, so a few hundred
    examples judge it steadily. Accuracy and macro-F1 (the rule before) change only on the few examples near a
    boundary, and several weights scored within a few examples of each other: on folds of the same data the
    weight chosen went from 0.6 to 0.1. Both are still reported."""
    log_textcat = numpy.log(numpy.maximum(textcat, _FLOOR))
    best: tuple[float, Calibration, numpy.ndarray] | None = None
    without_linear: tuple[float, Calibration, numpy.ndarray] | None = None
    for linear_weight in (LINEAR_WEIGHTS if linear_log is not None else (0.0,)):
        for weight in WEIGHTS:
            for smoothing, nb_log in (nb_logs.items() if weight > 0 else [(0.0, log_textcat)]):
                mixed = (1.0 - weight) * log_textcat + weight * nb_log
                if linear_log is not None and linear_weight > 0:
                    mixed = mixed + linear_weight * linear_log
                temperature, loss = fit_temperature(mixed, gold)
                if best is None or loss < best[0] - 1e-9:
                    best = (loss, Calibration(weight, smoothing, temperature, linear_weight), mixed.argmax(axis=1))
        if without_linear is None:
            without_linear = best
    assert best is not None and without_linear is not None
    report = _choice_report(best[0], best[2], gold)
    if linear_log is not None:
        report["without_linear"] = {**asdict(without_linear[1]), **_choice_report(without_linear[0], without_linear[2], gold)}
    return best[1], report


def _choice_report(loss: float, predicted: numpy.ndarray, gold: numpy.ndarray) -> dict[str, Any]:
    accuracy = float((predicted == gold).mean())
    return {"log_loss": round(loss, 4), "accuracy": round(accuracy, 3),
            "macro_f1": round(_macro_f1(gold, predicted), 3), "examples": int(len(gold))}


def wilson_lower_bound(right: numpy.ndarray, total: numpy.ndarray, z: float = WILSON_Z) -> numpy.ndarray:
    """The lower end of the Wilson score interval of a share (one-sided, 95% with the default z)."""
    share = right / total
    centre = share + z * z / (2 * total)
    spread = z * numpy.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    return (centre - spread) / (1 + z * z / total)


def choose_triage_threshold(confidence: numpy.ndarray, correct: numpy.ndarray,
                            target: float) -> dict[str, float]:
    """The lowest confidence threshold whose routed cases (confidence >= threshold) are right at least
    `target` of the time: the most cases routed for that accuracy. Also its coverage and accuracy.

    The held-out examples are a sample: their routed accuracy must reach the target with 95% confidence
    (the Wilson interval's lower end), not merely on average, so a few lucky examples do not open the gate."""
    order = numpy.argsort(-confidence, kind="stable")
    ranked, hits = confidence[order], correct[order].astype("float64")
    routed = numpy.arange(len(hits)) + 1.0
    accuracy_at = numpy.cumsum(hits) / routed
    lower_at = wilson_lower_bound(numpy.cumsum(hits), routed)
    # Only cut between distinct confidences: every case at the threshold is routed.
    cut_points = [k for k in range(len(ranked)) if k == len(ranked) - 1 or ranked[k + 1] < ranked[k]]
    reaching = [k for k in cut_points if lower_at[k] >= target]
    if not reaching:
        return {"threshold": 1.0, "coverage": 0.0, "routed_accuracy": 0.0, "target": target,
                "examples": int(len(ranked))}
    k = max(reaching)
    threshold = 0.0 if k == len(ranked) - 1 else float(ranked[k])
    return {"threshold": round(threshold, 4), "coverage": round((k + 1) / len(ranked), 4),
            "routed_accuracy": round(float(accuracy_at[k]), 4), "target": target, "examples": int(len(ranked))}


def save_head(head: NaiveBayes, path: Path) -> None:
    seen = numpy.flatnonzero(numpy.any(head.log_probs != 0.0, axis=1))
    numpy.savez_compressed(path, size=numpy.asarray([head.size]), buckets=seen.astype("int64"),
                           log_probs=head.log_probs[seen], log_prior=head.log_prior)


def load_head(path: Path) -> NaiveBayes:
    with numpy.load(path) as data:
        size = int(data["size"][0])
        log_probs = numpy.zeros((size, data["log_probs"].shape[1]), dtype="float32")
        log_probs[data["buckets"]] = data["log_probs"]
        return NaiveBayes(log_probs, data["log_prior"])
