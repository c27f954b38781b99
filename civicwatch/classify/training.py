"""Training the pipeline from labelled examples: theme, urgency and actor text classifiers.

Everything is read from the spaCy config file (config/pipeline.cfg). Each classifier is trained in
two passes: first on most of the training examples while scoring the rest (dev_percent, chosen by a
hash of the text) after every epoch, to choose the number of epochs; then on all training examples for
that many epochs. The urgency threshold comes from the out-of-voice development split when there is one
(see below), else from cross-validation on the training examples; never from the held-out split.

The development split also serves the theme's smoothed head (civicwatch.classify.smoothed): the mixing
weight, the smoothing, the temperature and the triage threshold are chosen on the development model's
scores of texts it was not trained on, and the actor thresholds (civicwatch.classify.actors) likewise.

Which examples form the development split: those from files written in other voices than the bulk of the
corpus (file names starting with one of `dev_sources`, "voices_" by default), all of them, when they make a
usable split; the development model is then trained on the other files only, so its scores are those of a
model reading writers it never saw, as the deployed model does. Chosen on a random share of the corpus's
own voice instead, the calibration fits that voice (a triage threshold of 0, everything routed) and does
not transfer. Without such files (a deployment's own data, the test fixtures) the split is the hash of the
text (`dev_percent`).
"""
from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import NormalDist
from typing import Any, cast

import numpy
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, load_config, load_model_from_config, minibatch, registry
from thinc.api import Config, Optimizer, set_dropout_rate

from civicwatch.classify.actors import ActorThresholds, choose_thresholds
from civicwatch.classify.architectures import doc_features, feature_layer
from civicwatch.classify.corpus import CorpusError, LabelledText, split_bucket
from civicwatch.classify.files import PIPELINE_CONFIG
from civicwatch.classify.gazetteer import Gazetteer, GazetteerTerms, terms_from_taxonomy
from civicwatch.classify.immediacy import speaks_of_now
from civicwatch.classify.smoothed import (
    SMOOTHING,
    Calibration,
    FeatureRows,
    NaiveBayes,
    choose_calibration,
    choose_triage_threshold,
    wilson_lower_bound,
)
from civicwatch.classify.text import prepare_text
from civicwatch.classify.tfidf import TfidfHead
from civicwatch.taxonomy.operations import read_taxonomy

CONFIG_PATH = PIPELINE_CONFIG
URGENT_LABEL = "urgency:urgent"
ACTOR_PREFIX = "actor:"
NO_ACTOR = "actor:none"
THEME, URGENCY, ACTOR = "textcat", "urgency", "actor"
COMMON_WORD_COUNT = 3  # a word seen this often in training is a real word, not a misspelling
OUT_OF_VOICE = "out-of-voice"
# Candidate factors for the urgency score of a text that speaks of no danger now (civicwatch.classify.immediacy);
# 1 leaves every score alone.
IMMEDIACY_FACTORS = (1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1)
# The factor is chosen by the mean precision at the urgent examples found from this recall on: the part of the
# ranking where the recall-first threshold falls.
HIGH_RECALL = 0.9


@dataclass(frozen=True)
class EpochReport:
    """One step of the progress display; `done` is the share (0..1) of the whole training run done."""

    stage: str
    epoch: int
    epochs: int
    loss: float
    score: float | None = None
    done: float = 0.0


Progress = Callable[[EpochReport], None]


def _silent(report: EpochReport) -> None:
    return None


@dataclass(frozen=True)
class Settings:
    seed: int
    max_epochs: int
    patience: int
    batch_size: int
    optimizer: dict[str, Any]
    dev_percent: int
    class_balance: float
    urgency_recall_target: float
    urgency_recall_confidence: float
    urgency_folds: int
    dropout: float
    routed_accuracy_target: float
    smoothed_buckets: int
    dev_sources: tuple[str, ...] = ()
    tfidf_c: float = 10.0

    @classmethod
    def from_config(cls, config: Config) -> Settings:
        training = config["training"]
        extra = config["civicwatch"] if "civicwatch" in config else {}
        return cls(
            seed=int(training.get("seed", 0)),
            max_epochs=max(1, int(training.get("max_epochs", 8))),
            patience=max(1, int(training.get("patience", 2))),
            batch_size=max(1, int(training.get("batcher", {}).get("size", 32))),
            optimizer=dict(training["optimizer"]),
            dev_percent=int(extra.get("dev_percent", 10)),
            class_balance=float(extra.get("class_balance", 0.0)),
            urgency_recall_target=round(float(extra.get("urgency_recall_target", 0.95)), 4),
            urgency_recall_confidence=round(min(0.999, max(0.0, float(extra.get("urgency_recall_confidence", 0.0)))), 4),
            urgency_folds=max(2, int(extra.get("urgency_folds", 5))),
            dropout=min(0.9, max(0.0, float(training.get("dropout", 0.0)))),
            routed_accuracy_target=min(1.0, max(0.0, float(extra.get("routed_accuracy_target", 0.92)))),
            smoothed_buckets=2 ** (max(2, int(extra.get("smoothed_buckets", 2**18))) - 1).bit_length(),
            dev_sources=tuple(str(prefix) for prefix in extra.get("dev_sources", ()) if str(prefix)),
            tfidf_c=min(1e4, max(1e-3, float(extra.get("tfidf_c", 10.0)))),
        )

    def new_optimizer(self) -> Optimizer:
        return registry.resolve({"optimizer": self.optimizer})["optimizer"]


@dataclass
class TrainedPipeline:
    """A trained spaCy pipeline and what the classifier needs to read its scores."""

    nlp: Language
    labels: list[str]
    urgency_threshold: float | None
    urgency_cv: dict[str, Any] | None
    actor_codes: list[str] | None
    epochs: dict[str, int]
    word_counts: dict[str, int]
    config_text: str
    # Words only complaints (staff corrections) used, as spaCy ids: known words for the familiarity check,
    # saved as numbers since a complaint may be erased later and the model is not.
    complaint_word_ids: list[int] = field(default_factory=list)
    # Their strings, held in memory only so that saving leaves them out of the pipeline's string store.
    complaint_strings: frozenset[str] = frozenset()
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    head: NaiveBayes | None = None
    tfidf_head: TfidfHead | None = None
    calibration: Calibration = field(default_factory=lambda: Calibration(0.0, 0.0, 1.0))
    calibration_report: dict[str, Any] | None = None
    triage: dict[str, Any] | None = None
    actor_thresholds: ActorThresholds = field(default_factory=ActorThresholds)
    actor_report: dict[str, Any] | None = None
    # What the urgency score of a text that speaks of no danger now is multiplied by (1: left alone).
    urgency_factor: float = 1.0


class _Progress:
    """Turns epochs into one share of the whole run: every stage is budgeted its maximum number of epochs,
    and a stage that stops early hands its unused budget over at once."""

    def __init__(self, callback: Progress, total: int) -> None:
        self.callback = callback
        self.total = max(1, total)
        self.done = 0

    def epoch(self, report: EpochReport) -> None:
        self.done += 1
        self.callback(replace(report, done=min(1.0, self.done / self.total)))

    def skip(self, units: int) -> None:
        self.done += max(0, units)


@dataclass
class _DevRun:
    """The development split's model: its epochs and its scores of the development examples."""

    epochs: int
    train_rows: list[int]
    dev_rows: list[int]
    scores: numpy.ndarray
    split: str = ""


@dataclass
class _Task:
    """One text classifier to train: which component, and each example's target categories."""

    component: str
    labels: list[str]
    docs: list[Doc]
    cats: list[dict[str, float]]
    keys: list[str]  # the example texts, for the dev split
    balance_by: list[str]
    built: list[Example] | None = field(default=None, repr=False)
    files: list[str] = field(default_factory=list)  # each example's file name, for the out-of-voice dev split

    def subset(self, keep: Sequence[int]) -> _Task:
        return _Task(self.component, self.labels, [self.docs[i] for i in keep], [self.cats[i] for i in keep],
                     [self.keys[i] for i in keep], [self.balance_by[i] for i in keep],
                     [self.examples()[i] for i in keep], [self.files[i] for i in keep] if self.files else [])

    def examples(self) -> list[Example]:
        """The training examples, built once per task and shared by its development run, its folds and its
        final fit (each built its own before, a few seconds of every training run)."""
        if self.built is None:
            self.built = [Example.from_dict(doc, {"cats": cats}) for doc, cats in zip(self.docs, self.cats, strict=True)]
        return self.built


# What training reads from a pipeline config: a file without them is refused before training starts.
REQUIRED_CONFIG = {"training": ("optimizer",)}


def load_pipeline_config(path: Path | str = CONFIG_PATH) -> Config:
    try:
        config = load_config(Path(path), interpolate=True)
    except (OSError, ValueError) as exc:
        raise CorpusError(f"Cannot read the pipeline config {Path(path).name}: {exc}") from exc
    for section, keys in REQUIRED_CONFIG.items():
        missing = [key for key in keys if key not in config.get(section, {})]
        if section not in config or missing:
            raise CorpusError(f"The pipeline config {Path(path).name} has no [{section}] section"
                              + (f" {', '.join(missing)}" if section in config else "")
                              + f"; start from {Path(CONFIG_PATH).name}.")
    return config


def _check_labels(labels: Sequence[str]) -> None:
    if len(labels) < 2:
        raise CorpusError("Training needs examples of at least two different labels.")
    reserved = [label for label in labels if label.startswith(("urgency:", ACTOR_PREFIX))]
    if reserved:
        raise CorpusError(f"Labels may not start with 'urgency:' or 'actor:' ({reserved[0]}).")


def _blank_pipeline(config: Config, components: Sequence[str]) -> Language:
    nlp = load_model_from_config(config, auto_fill=True, validate=True)
    for name in list(nlp.pipe_names):
        if name not in components:
            nlp.remove_pipe(name)
    return nlp


def _textcat(nlp: Language, name: str) -> TextCategorizer:
    """spaCy types get_pipe as a plain callable; every component here is a TextCategorizer (urgency is
    its multi-label subclass)."""
    return cast(TextCategorizer, nlp.get_pipe(name))


def _epoch_pool(examples: list[Example], balance_by: list[str], balance: float, rng: random.Random) -> list[Example]:
    counts = Counter(balance_by)
    largest = max(counts.values())
    pool: list[Example] = []
    for example, label in zip(examples, balance_by, strict=False):
        weight = (largest / counts[label]) ** balance
        copies = int(weight) + (1 if rng.random() < weight - int(weight) else 0)
        pool.extend([example] * max(1, copies))
    rng.shuffle(pool)
    return pool


def _predict(component: TextCategorizer, docs: Sequence[Doc]) -> numpy.ndarray:
    if not docs:
        return numpy.zeros((0, len(component.labels)), dtype="float32")
    scores = numpy.asarray(component.model.predict(list(docs)))
    return scores


def _dev_score(task: _Task, component: TextCategorizer, dev: _Task, scores: numpy.ndarray) -> float:
    """Exclusive labels: the mean of accuracy and macro-F1 (both are reported; with unbalanced labels they
    pull apart, and choosing on one alone sacrifices the other). Urgency: average precision."""
    labels = list(component.labels)
    if task.component == URGENCY:
        truth = numpy.asarray([cats[URGENT_LABEL] for cats in dev.cats])
        return average_precision(truth, scores[:, 0])
    gold = [max(cats, key=cats.__getitem__) for cats in dev.cats]
    predicted = [labels[i] for i in scores.argmax(axis=1)]
    accuracy = sum(1 for g, p in zip(gold, predicted, strict=False) if g == p) / len(gold)
    return (accuracy + macro_f1(gold, predicted, sorted(set(gold)))) / 2


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=False) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=False) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=False) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def high_recall_precision(truth: numpy.ndarray, scores: numpy.ndarray, from_recall: float = HIGH_RECALL) -> float:
    """The mean precision at each positive example in score order from the one that reaches `from_recall` on."""
    positives = int(truth.sum())
    if positives == 0:
        return 0.0
    order = numpy.argsort(-scores, kind="stable")
    hits = truth[order] > 0
    found = numpy.cumsum(hits)
    precision_at = found / (numpy.arange(len(hits)) + 1)
    return float(precision_at[hits & (found >= from_recall * positives - 1e-9)].mean())


def average_precision(truth: numpy.ndarray, scores: numpy.ndarray) -> float:
    positives = int(truth.sum())
    if positives == 0:
        return 0.0
    order = numpy.argsort(-scores, kind="stable")
    hits = truth[order]
    precision_at = numpy.cumsum(hits) / (numpy.arange(len(hits)) + 1)
    return float((precision_at * hits).sum() / positives)


def _fit(nlp: Language, task: _Task, settings: Settings, epochs: int, progress: _Progress, stage: str,
         dev: _Task | None = None) -> tuple[list[float], list[numpy.ndarray]]:
    """Train one component from scratch for `epochs` epochs; returns the dev score and the dev examples'
    scores after each epoch."""
    fix_random_seed(settings.seed)
    component = _textcat(nlp, task.component)
    examples = task.examples()
    component.initialize(lambda: examples[:500], nlp=nlp, labels=task.labels)
    optimizer = settings.new_optimizer()
    rng = random.Random(settings.seed)
    history: list[float] = []
    predictions: list[numpy.ndarray] = []
    best, since_best = -1.0, 0
    for epoch in range(1, epochs + 1):
        losses: dict[str, float] = {}
        pool = _epoch_pool(examples, task.balance_by, settings.class_balance, rng)
        for batch in minibatch(pool, size=settings.batch_size):
            component.update(batch, drop=settings.dropout, sgd=optimizer, losses=losses)
        score = None
        # thinc's with_cpu runs its layers in training mode even to predict: the dropout rate itself must be 0.
        set_dropout_rate(component.model, 0.0)
        if dev is not None:
            with component.model.use_params(optimizer.averages or {}):
                dev_scores = _predict(component, dev.docs)
                score = _dev_score(task, component, dev, dev_scores)
            predictions.append(dev_scores)
        progress.epoch(EpochReport(stage, epoch, epochs, losses.get(task.component, 0.0), score))
        if score is not None:
            history.append(score)
            if score > best + 1e-9:
                best, since_best = score, 0
            else:
                since_best += 1
                if since_best >= settings.patience:
                    progress.skip(epochs - epoch)
                    break
    _keep_averages(component, optimizer)
    return history, predictions


def _keep_averages(component: TextCategorizer, optimizer: Optimizer) -> None:
    """With use_averages, the model keeps the running average of its weights (smoother than the last step)."""
    if not optimizer.averages:
        return
    for node in component.model.walk():
        for name in node.param_names:
            key = (node.id, name)
            if key in optimizer.averages:
                node.set_param(name, optimizer.averages[key].copy())


def _usable(task: _Task, in_dev: Sequence[bool]) -> tuple[list[int], list[int]] | None:
    dev_rows = [i for i, dev in enumerate(in_dev) if dev]
    train_rows = [i for i, dev in enumerate(in_dev) if not dev]
    dev_labels = {task.balance_by[i] for i in dev_rows}
    if len(dev_rows) < 20 or len(dev_labels) < 2 or len({task.balance_by[i] for i in train_rows}) < 2:
        return None
    return train_rows, dev_rows


def _dev_rows(task: _Task, settings: Settings) -> tuple[list[int], list[int], str] | None:
    """(training rows, development rows, which split), or None when no development split is usable: every
    example from an out-of-voice file (`dev_sources`) when they make a usable split, else a hash share."""
    if settings.dev_sources and task.files:
        out_of_voice = _usable(task, [name.startswith(settings.dev_sources) for name in task.files])
        if out_of_voice is not None:
            files = "/".join(f"{prefix}*" for prefix in settings.dev_sources)
            return (*out_of_voice, f"{OUT_OF_VOICE}: the examples of {files} files, the development model trained "
                                   "on the other files")
    by_hash = _usable(task, [split_bucket(key, "dev") < settings.dev_percent for key in task.keys])
    if by_hash is None:
        return None
    return (*by_hash, f"{settings.dev_percent}% of the training examples by a hash of the text")


def _choose_epochs(config: Config, task: _Task, settings: Settings, progress: _Progress,
                   name: str) -> _DevRun | None:
    """The epochs that scored best on the internal development split, with the development model's scores
    of the development examples at that epoch (None when the split is too small: max_epochs then)."""
    rows = _dev_rows(task, settings)
    if rows is None:
        progress.skip(settings.max_epochs)
        return None
    train_rows, dev_rows, split = rows
    nlp = _blank_pipeline(config, [task.component])
    history, predictions = _fit(nlp, task.subset(train_rows), settings, settings.max_epochs, progress,
                                f"{name} (choosing epochs)", dev=task.subset(dev_rows))
    best = int(numpy.argmax(history))
    return _DevRun(best + 1, train_rows, dev_rows, predictions[best], split)


def _train_component(config: Config, nlp: Language, task: _Task, settings: Settings, progress: _Progress,
                     name: str) -> _DevRun | None:
    dev = _choose_epochs(config, task, settings, progress, name)
    epochs = dev.epochs if dev is not None else settings.max_epochs
    _fit(nlp, task, settings, epochs, progress, name)
    progress.skip(settings.max_epochs - epochs)
    return dev


def choose_threshold(truth: numpy.ndarray, scores: numpy.ndarray, recall_target: float,
                     confidence: float = 0.0) -> tuple[float, float, float]:
    """The highest threshold whose recall reaches the target: (threshold, recall, precision).

    With a `confidence` (0.95: one-sided 95%), the recall measured on these examples must reach the target at
    that confidence (the Wilson interval's lower end), not merely on average: the examples are a sample of the
    urgent cases the model will meet, and the fewer they are, the more of them the threshold must catch. When
    even all of them would not be enough, every one is caught."""
    positives = numpy.sort(scores[truth > 0])[::-1]
    if len(positives) == 0:
        return 0.5, 0.0, 0.0
    found = numpy.arange(1, len(positives) + 1, dtype="float64")
    z = NormalDist().inv_cdf(confidence) if 0.5 < confidence < 1.0 else 0.0
    reaching = numpy.flatnonzero(wilson_lower_bound(found, numpy.full_like(found, len(positives)), z)
                                 >= recall_target - 1e-9)
    needed = int(reaching[0]) + 1 if len(reaching) else len(positives)
    threshold = float(positives[needed - 1])
    flagged = scores >= threshold
    recall = float((flagged & (truth > 0)).sum() / len(positives))
    precision = float((flagged & (truth > 0)).sum() / max(1, flagged.sum()))
    return threshold, recall, precision


def now_flags(texts: Sequence[str]) -> numpy.ndarray:
    """Whether each (prepared) text speaks of a danger now (civicwatch.classify.immediacy)."""
    return numpy.asarray([speaks_of_now(text) for text in texts], dtype=bool)


def with_immediacy(scores: numpy.ndarray, now: numpy.ndarray, factor: float) -> numpy.ndarray:
    """Urgency scores with those of the texts that speak of no danger now multiplied by `factor`."""
    return numpy.where(now, scores, scores * factor)


def choose_immediacy_factor(truth: numpy.ndarray, scores: numpy.ndarray, now: numpy.ndarray
                            ) -> tuple[float, dict[str, Any]]:
    """The factor (of IMMEDIACY_FACTORS) with the highest precision where the threshold falls: the mean precision
    at each urgent example from a recall of HIGH_RECALL on (the largest factor among equals). Average precision
    is flat across factors from 0.3 down (the top of the ranking hardly moves), and the precision at the rule's
    threshold alone is decided by the three or four lowest urgent examples; the mean over the last tenth of the
    urgent examples is steadier and still reads the region that matters."""
    by_factor = {factor: round(high_recall_precision(truth, with_immediacy(scores, now, factor)), 4)
                 for factor in IMMEDIACY_FACTORS}
    best = max(by_factor.values())
    factor = max(factor for factor, value in by_factor.items() if value >= best)
    average = {str(key): round(average_precision(truth, with_immediacy(scores, now, key)), 4)
               for key in IMMEDIACY_FACTORS}
    return factor, {"factor": factor, "high_recall_precision": {str(key): value for key, value in by_factor.items()},
                    "from_recall": HIGH_RECALL, "average_precision": average,
                    "speaking_of_now": {"urgent": int((now & (truth > 0)).sum()), "of_urgent": int((truth > 0).sum()),
                                        "not_urgent": int((now & (truth <= 0)).sum()),
                                        "of_not_urgent": int((truth <= 0).sum())}}


def _urgency_threshold(config: Config, task: _Task, settings: Settings, epochs: int,
                       progress: _Progress) -> tuple[float, dict[str, Any]]:
    """Out-of-fold urgency scores on the training examples give the threshold that meets the recall target."""
    folds = [split_bucket(key, "urgency-fold") % settings.urgency_folds for key in task.keys]
    out_of_fold = numpy.zeros(len(task.keys), dtype="float32")
    for fold in range(settings.urgency_folds):
        train_rows = [i for i, f in enumerate(folds) if f != fold]
        test_rows = [i for i, f in enumerate(folds) if f == fold]
        if not test_rows:
            progress.skip(settings.max_epochs)
            continue
        nlp = _blank_pipeline(config, [URGENCY])
        _fit(nlp, task.subset(train_rows), settings, epochs, progress,
             f"urgency (threshold, fold {fold + 1}/{settings.urgency_folds})")
        progress.skip(settings.max_epochs - epochs)
        scores = _predict(_textcat(nlp, URGENCY), [task.docs[i] for i in test_rows])
        out_of_fold[test_rows] = scores[:, 0]
    truth = numpy.asarray([cats[URGENT_LABEL] for cats in task.cats])
    now = now_flags([doc.text for doc in task.docs])
    factor, immediacy = choose_immediacy_factor(truth, out_of_fold, now)
    threshold, recall, precision = choose_threshold(truth, with_immediacy(out_of_fold, now, factor),
                                                    settings.urgency_recall_target, settings.urgency_recall_confidence)
    return threshold, {"recall": round(recall, 4), "precision": round(precision, 4),
                       "target_recall": settings.urgency_recall_target,
                       "confidence": settings.urgency_recall_confidence, "folds": settings.urgency_folds,
                       "immediacy": immediacy}


def _urgency_threshold_on_dev(task: _Task, dev: _DevRun, settings: Settings) -> tuple[float, dict[str, Any]]:
    """The threshold that meets the recall target on the out-of-voice development split: the development model's
    scores of writers it never saw, as the deployed model reads new complainants. Cross-validation on the
    corpus's own voice chose a threshold that missed urgent cases written by others."""
    truth = numpy.asarray([task.cats[row][URGENT_LABEL] for row in dev.dev_rows])
    now = now_flags([task.docs[row].text for row in dev.dev_rows])
    factor, immediacy = choose_immediacy_factor(truth, dev.scores[:, 0], now)
    threshold, recall, precision = choose_threshold(truth, with_immediacy(dev.scores[:, 0], now, factor),
                                                    settings.urgency_recall_target, settings.urgency_recall_confidence)
    return threshold, {"recall": round(recall, 4), "precision": round(precision, 4),
                       "target_recall": settings.urgency_recall_target,
                       "confidence": settings.urgency_recall_confidence, "urgent_examples": int(truth.sum()),
                       "examples": len(dev.dev_rows),
                       "chosen_on": dev.split, "immediacy": immediacy}


def _file_name(example: LabelledText) -> str:
    """The file an example came from ("voices_citizens.jsonl:12" -> "voices_citizens.jsonl")."""
    return example.source.rpartition(":")[0] or example.source


def _theme_task(docs: list[Doc], examples: Sequence[LabelledText], labels: list[str]) -> _Task:
    cats = [{label: float(label == example.label) for label in labels} for example in examples]
    return _Task(THEME, labels, docs, cats, [e.text for e in examples], [e.label for e in examples],
                 files=[_file_name(e) for e in examples])


def _urgency_task(docs: list[Doc], examples: Sequence[LabelledText]) -> _Task | None:
    rows = [i for i, example in enumerate(examples) if example.urgent is not None]
    flags = [bool(examples[i].urgent) for i in rows]
    if sum(flags) < 5 or len(flags) - sum(flags) < 5:
        return None
    return _Task(URGENCY, [URGENT_LABEL], [docs[i] for i in rows],
                 [{URGENT_LABEL: float(flag)} for flag in flags], [examples[i].text for i in rows],
                 ["urgent" if flag else "not" for flag in flags], files=[_file_name(examples[i]) for i in rows])


def _actor_task(docs: list[Doc], examples: Sequence[LabelledText]) -> _Task | None:
    rows = [i for i, example in enumerate(examples) if "actor" in example.annotated]
    annotated = [examples[i] for i in rows]
    codes = sorted({example.actor for example in annotated if example.actor})
    if not codes or len(rows) < 20:
        return None
    labels = [ACTOR_PREFIX + code for code in codes] + [NO_ACTOR]
    targets = [ACTOR_PREFIX + example.actor if example.actor else NO_ACTOR for example in annotated]
    return _Task(ACTOR, labels, [docs[i] for i in rows],
                 [{label: float(label == target) for label in labels} for target in targets],
                 [examples[i].text for i in rows], targets, files=[_file_name(examples[i]) for i in rows])


def _feature_rows(nlp: Language, docs: Sequence[Doc], size: int) -> FeatureRows | None:
    """The theme model's own features of each doc, hashed into `size` buckets (None: a model without them)."""
    layer = feature_layer(_textcat(nlp, THEME).model)
    if layer is None:
        return None
    return FeatureRows.build([doc_features(layer, doc) for doc in docs], size)


@dataclass
class _ThemeHeads:
    """The theme's extra heads fitted on every example (None where the weight chosen is 0), the calibration
    and the triage threshold."""

    head: NaiveBayes | None = None
    tfidf_head: TfidfHead | None = None
    calibration: Calibration = field(default_factory=lambda: Calibration(0.0, 0.0, 1.0))
    report: dict[str, Any] | None = None
    triage: dict[str, Any] | None = None


def _theme_head(nlp: Language, task: _Task, dev: _DevRun | None, settings: Settings) -> _ThemeHeads:
    """The smoothed and TF-IDF heads, the calibration and the triage threshold, chosen on the development split:
    each head fitted on the development model's training rows and scored on the development rows."""
    rows = _feature_rows(nlp, task.docs, settings.smoothed_buckets)
    targets = numpy.asarray([task.labels.index(label) for label in task.balance_by])
    if dev is None:
        return _ThemeHeads()
    nb_logs: dict[float, numpy.ndarray] = {}
    if rows is not None:
        train_rows = _select(rows, dev.train_rows)
        dev_features = _select(rows, dev.dev_rows)
        for smoothing in SMOOTHING:
            head = NaiveBayes.fit(train_rows, targets[dev.train_rows], len(task.labels), settings.smoothed_buckets,
                                  smoothing, 1.0 - settings.class_balance)
            nb_logs[smoothing] = head.log_posteriors(dev_features)
    texts = [doc.text for doc in task.docs]
    dev_tfidf = TfidfHead.fit([texts[i] for i in dev.train_rows], targets[dev.train_rows], len(task.labels),
                              settings.tfidf_c)
    linear_log = dev_tfidf.log_posteriors([texts[i] for i in dev.dev_rows]) if dev_tfidf is not None else None
    gold = targets[dev.dev_rows]
    calibration, report = choose_calibration(dev.scores, nb_logs, gold, linear_log)
    probabilities = calibration.combine(dev.scores, nb_logs.get(calibration.smoothing), linear_log)
    triage: dict[str, Any] = {**choose_triage_threshold(probabilities.max(axis=1),
                                                        probabilities.argmax(axis=1) == gold,
                                                        settings.routed_accuracy_target), "chosen_on": dev.split}
    report["split"] = dev.split
    heads = _ThemeHeads(calibration=calibration, report=report, triage=triage)
    if rows is not None and calibration.weight > 0:
        heads.head = NaiveBayes.fit(rows, targets, len(task.labels), settings.smoothed_buckets,
                                    calibration.smoothing, 1.0 - settings.class_balance)
    if calibration.linear_weight > 0:
        heads.tfidf_head = TfidfHead.fit(texts, targets, len(task.labels), settings.tfidf_c)
    return heads


def _select(rows: FeatureRows, keep: Sequence[int]) -> FeatureRows:
    ends = numpy.cumsum(rows.lengths)
    starts = ends - rows.lengths
    index = numpy.concatenate([numpy.arange(starts[i], ends[i]) for i in keep]) if len(keep) else numpy.zeros(0, int)
    return FeatureRows(rows.buckets[index], rows.values[index], rows.lengths[list(keep)])


def _actor_thresholds(task: _Task, dev: _DevRun | None, gazetteer: Gazetteer
                      ) -> tuple[ActorThresholds, dict[str, Any] | None]:
    """Thresholds of the actor classifier, by kind of evidence, chosen on the development split."""
    if dev is None:
        return ActorThresholds(), None
    codes = [label[len(ACTOR_PREFIX):] for label in task.labels]
    evidence, probabilities, gold = [], [], []
    for position, row in enumerate(dev.dev_rows):
        evidence.append(gazetteer.mentions(task.docs[row]))
        probabilities.append({code: float(dev.scores[position, i]) for i, code in enumerate(codes)
                              if ACTOR_PREFIX + code != NO_ACTOR})
        target = task.balance_by[row]
        gold.append(None if target == NO_ACTOR else target[len(ACTOR_PREFIX):])
    thresholds, report = choose_thresholds(evidence, probabilities, gold)
    return thresholds, {"by_evidence": report, "chosen_on": f"the development split ({dev.split})"}


def _planned_epochs(tasks: Sequence[_Task | None], settings: Settings) -> int:
    present = [task for task in tasks if task is not None]
    urgency_folds = settings.urgency_folds if any(task.component == URGENCY for task in present) else 0
    return settings.max_epochs * (2 * len(present) + urgency_folds)


def train_pipeline(examples: Sequence[LabelledText], config_path: Path | str = CONFIG_PATH,
                   progress: Progress = _silent, terms: GazetteerTerms | None = None) -> TrainedPipeline:
    """Train every classifier the examples support: theme always, urgency and actor when annotated.

    `terms` are the gazetteer's (the default taxonomy file's when not given): the actor thresholds are
    chosen with them."""
    started = time.perf_counter()
    config = load_pipeline_config(config_path)
    settings = Settings.from_config(config)
    labels = sorted({example.label for example in examples})
    _check_labels(labels)
    nlp = _blank_pipeline(config, [THEME, URGENCY, ACTOR])
    docs = [nlp.make_doc(prepare_text(example.text)) for example in examples]
    tasks = [_theme_task(docs, examples, labels), _urgency_task(docs, examples), _actor_task(docs, examples)]
    for name in (URGENCY, ACTOR):
        if not any(task is not None and task.component == name for task in tasks):
            nlp.remove_pipe(name)
    own_docs = [doc for doc, example in zip(docs, examples, strict=True) if not example.from_complaint]
    complaint_docs = [doc for doc, example in zip(docs, examples, strict=True) if example.from_complaint]
    word_counts = Counter(token.lower_ for doc in own_docs for token in doc if token.is_alpha)
    complaint_words = {token.lower_ for doc in complaint_docs for token in doc if token.is_alpha} - word_counts.keys()
    steps = _Progress(progress, _planned_epochs(tasks, settings))
    trained = TrainedPipeline(nlp=nlp, labels=labels, urgency_threshold=None, urgency_cv=None, actor_codes=None,
                              epochs={}, word_counts=dict(word_counts), config_text=config.to_str(),
                              complaint_word_ids=sorted(get_string_id(word) for word in complaint_words),
                              complaint_strings=_complaint_strings(nlp, own_docs, complaint_docs))
    for task in tasks:
        if task is None:
            continue
        name = {THEME: "theme", URGENCY: "urgency", ACTOR: "actor"}[task.component]
        dev = _train_component(config, nlp, task, settings, steps, name)
        trained.epochs[name] = dev.epochs if dev is not None else settings.max_epochs
        if task.component == THEME:
            heads = _theme_head(nlp, task, dev, settings)
            trained.head, trained.tfidf_head, trained.calibration = heads.head, heads.tfidf_head, heads.calibration
            trained.calibration_report, trained.triage = heads.report, heads.triage
        if task.component == URGENCY:
            if dev is not None and dev.split.startswith(OUT_OF_VOICE):
                threshold, chosen_with = _urgency_threshold_on_dev(task, dev, settings)
                steps.skip(settings.max_epochs * settings.urgency_folds)
            else:
                threshold, chosen_with = _urgency_threshold(config, task, settings, trained.epochs[name], steps)
            trained.urgency_threshold, trained.urgency_cv = threshold, chosen_with
            trained.urgency_factor = float(chosen_with["immediacy"]["factor"])
        if task.component == ACTOR:
            trained.actor_codes = [label[len(ACTOR_PREFIX):] for label in task.labels if label != NO_ACTOR]
            gazetteer = training_gazetteer(nlp, terms, trained.word_counts)
            trained.actor_thresholds, trained.actor_report = _actor_thresholds(task, dev, gazetteer)
    trained.seconds = round(time.perf_counter() - started, 1)
    return trained


def _complaint_strings(nlp: Language, own_docs: list[Doc], complaint_docs: list[Doc]) -> frozenset[str]:
    """The strings complaints' tokens put in the string store that neither the project's own examples nor any
    label did (a name, a street): the saved pipeline leaves them out. Its features are hashes, so it reads the
    same without them."""
    def token_strings(docs: list[Doc]) -> set[str]:
        return {text for doc in docs for token in doc
                for text in (token.orth_, token.lower_, token.norm_, token.prefix_, token.suffix_, token.shape_)}

    labels = {label for name in nlp.pipe_names for label in getattr(nlp.get_pipe(name), "labels", ())}
    return frozenset(token_strings(complaint_docs) - token_strings(own_docs) - labels)


def training_gazetteer(nlp: Language, terms: GazetteerTerms | None, word_counts: dict[str, int]) -> Gazetteer:
    common = (word for word, count in word_counts.items() if count >= COMMON_WORD_COUNT)
    terms = terms if terms is not None else terms_from_taxonomy(read_taxonomy())
    return Gazetteer(terms, nlp.vocab, nlp.make_doc, common_words=common)
