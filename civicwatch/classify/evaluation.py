"""Measuring a classifier on labelled examples, beside a TF-IDF + logistic regression baseline."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from civicwatch.classify.classifier import Classification, Classifier
from civicwatch.classify.corpus import LabelledText
from civicwatch.classify.text import prepare_text

NO_LABEL = "(none)"  # what the classifier gave when it declined to read a text


@dataclass(frozen=True)
class LabelScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


def label_report(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Per-label precision/recall/F1, macro-F1 (over the gold labels), accuracy and the confusion matrix."""
    labels = list(labels) if labels is not None else sorted(set(gold))
    per_label = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=False) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=False) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=False) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label.append(LabelScores(label, round(precision, 4), round(recall, 4), round(f1, 4), tp + fn))
    columns = labels + sorted({p for p in predicted if p not in labels})
    confusion = [[sum(1 for g, p in zip(gold, predicted, strict=False) if g == row and p == column) for column in columns]
                 for row in labels]
    scored = [row for row in per_label if row.support]
    return {
        "labels": [row.__dict__ for row in per_label],
        "macro_f1": round(sum(row.f1 for row in scored) / len(scored), 4) if scored else 0.0,
        "accuracy": round(sum(1 for g, p in zip(gold, predicted, strict=False) if g == p) / len(gold), 4) if gold else 0.0,
        "confusion": {"rows": labels, "columns": columns, "counts": confusion},
        "examples": len(gold),
    }


def _share_correct(pairs: list[tuple[str | None, str | None]]) -> float | None:
    return round(sum(1 for gold, got in pairs if gold == got) / len(pairs), 4) if pairs else None


def urgency_report(examples: Sequence[LabelledText], results: Sequence[Classification]) -> dict[str, Any] | None:
    pairs = [(bool(e.urgent), r.urgent) for e, r in zip(examples, results, strict=False) if "urgent" in e.annotated]
    if not pairs or not any(gold for gold, _ in pairs):
        return None
    tp = sum(1 for gold, got in pairs if gold and got)
    flagged = sum(1 for _, got in pairs if got)
    positives = sum(1 for gold, _ in pairs if gold)
    return {"precision": round(tp / flagged, 4) if flagged else 0.0, "recall": round(tp / positives, 4),
            "urgent_examples": positives, "examples": len(pairs)}


def routing_report(gold: Sequence[str], results: Sequence[Classification], threshold: float) -> dict[str, Any]:
    """Coverage (the share of texts confident enough to be routed) and the accuracy of the routed ones."""
    routed = [(label, result.theme) for label, result in zip(gold, results, strict=False)
              if result.theme is not None and result.confidence >= threshold]
    return {"threshold": threshold, "coverage": round(len(routed) / len(gold), 4) if gold else 0.0,
            "routed_accuracy": _share_correct(list(routed)) or 0.0, "routed": len(routed), "examples": len(gold)}


def evaluate_classifier(classifier: Classifier, examples: Sequence[LabelledText]) -> dict[str, Any]:
    """Theme figures, coverage and routed accuracy at the model's triage threshold, actor/region/district
    accuracy and urgency precision/recall on the examples."""
    results = classifier.classify_many([example.text for example in examples])
    gold = [example.label for example in examples]
    predicted = [result.theme or NO_LABEL for result in results]
    report: dict[str, Any] = {"theme": label_report(gold, predicted, sorted(set(gold) | set(classifier.labels)))}
    report["theme"]["declined"] = sum(1 for result in results if result.theme is None)
    if classifier.triage_threshold is not None:
        report["routing"] = routing_report(gold, results, classifier.triage_threshold)
    for name in ("actor", "region", "district"):
        pairs = [(getattr(e, name), getattr(r, name)) for e, r in zip(examples, results, strict=False) if name in e.annotated]
        report[f"{name}_accuracy"] = _share_correct(pairs)
    report["urgency"] = urgency_report(examples, results)
    return report


def baseline_report(train: Sequence[LabelledText], test: Sequence[LabelledText],
                    model: str = "logistic_regression") -> dict[str, Any]:
    """TF-IDF (word 1-2-grams, sublinear) with logistic regression or a linear SVM, on the same split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    vectoriser = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
    features = vectoriser.fit_transform([prepare_text(e.text) for e in train])
    classifier = LogisticRegression(max_iter=2000) if model == "logistic_regression" else LinearSVC()
    classifier.fit(features, [e.label for e in train])
    predicted = [str(label) for label in classifier.predict(vectoriser.transform([prepare_text(e.text) for e in test]))]
    gold = [e.label for e in test]
    return label_report(gold, predicted, sorted(set(gold) | {e.label for e in train}))
