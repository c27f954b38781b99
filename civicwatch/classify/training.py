"""Training the pipeline from labelled examples: theme, urgency and actor text classifiers.

Everything is read from the spaCy config file (config/pipeline.cfg). Each classifier is trained in
two passes: first on most of the training examples while scoring the rest (dev_percent, chosen by a
hash of the text) after every epoch, to choose the number of epochs; then on all training examples for
that many epochs. The urgency threshold comes from cross-validation on the training examples, never
from the held-out split.
"""
from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, load_config, load_model_from_config, minibatch, registry
from thinc.api import Config, Optimizer

import civicwatch.classify.architectures  # noqa: F401  (registers the model architectures)
from civicwatch.classify.corpus import CorpusError, LabelledText, split_bucket
from civicwatch.classify.files import PIPELINE_CONFIG
from civicwatch.classify.text import prepare_text

CONFIG_PATH = PIPELINE_CONFIG
URGENT_LABEL = "urgency:urgent"
ACTOR_PREFIX = "actor:"
NO_ACTOR = "actor:none"
THEME, URGENCY, ACTOR = "textcat", "urgency", "actor"
COMMON_WORD_COUNT = 3  # a word seen this often in training is a real word, not a misspelling


@dataclass(frozen=True)
class EpochReport:
    """One line of the progress display."""

    stage: str
    epoch: int
    epochs: int
    loss: float
    score: float | None = None


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
    urgency_folds: int

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
            urgency_folds=max(2, int(extra.get("urgency_folds", 5))),
        )

    def new_optimizer(self) -> Optimizer:
        return registry.resolve({"optimizer": self.optimizer})["optimizer"]


@dataclass
class TrainedPipeline:
    """A trained spaCy pipeline and what the classifier needs to read its scores."""

    nlp: Language
    labels: list[str]
    urgency_threshold: float | None
    urgency_cv: dict[str, float] | None
    actor_codes: list[str] | None
    epochs: dict[str, int]
    word_counts: dict[str, int]
    config_text: str
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class _Task:
    """One text classifier to train: which component, and each example's target categories."""

    component: str
    labels: list[str]
    docs: list[Doc]
    cats: list[dict[str, float]]
    keys: list[str]  # the example texts, for the dev split
    balance_by: list[str]

    def subset(self, keep: Sequence[int]) -> _Task:
        return _Task(self.component, self.labels, [self.docs[i] for i in keep], [self.cats[i] for i in keep],
                     [self.keys[i] for i in keep], [self.balance_by[i] for i in keep])


def load_pipeline_config(path: Path | str = CONFIG_PATH) -> Config:
    try:
        return load_config(Path(path), interpolate=True)
    except (OSError, ValueError) as exc:
        raise CorpusError(f"Cannot read the pipeline config {Path(path).name}: {exc}") from exc


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


def _examples(task: _Task, docs: Sequence[Doc] | None = None) -> list[Example]:
    return [Example.from_dict(doc, {"cats": cats}) for doc, cats in zip(docs or task.docs, task.cats, strict=False)]


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


def _dev_score(task: _Task, component: TextCategorizer, dev: _Task) -> float:
    """Exclusive labels: the mean of accuracy and macro-F1 (both are reported; with unbalanced labels they
    pull apart, and choosing on one alone sacrifices the other). Urgency: average precision."""
    scores = _predict(component, dev.docs)
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


def average_precision(truth: numpy.ndarray, scores: numpy.ndarray) -> float:
    positives = int(truth.sum())
    if positives == 0:
        return 0.0
    order = numpy.argsort(-scores, kind="stable")
    hits = truth[order]
    precision_at = numpy.cumsum(hits) / (numpy.arange(len(hits)) + 1)
    return float((precision_at * hits).sum() / positives)


def _fit(nlp: Language, task: _Task, settings: Settings, epochs: int, progress: Progress, stage: str,
         dev: _Task | None = None) -> list[float]:
    """Train one component from scratch for `epochs` epochs; returns the dev score after each epoch."""
    fix_random_seed(settings.seed)
    component = _textcat(nlp, task.component)
    examples = _examples(task)
    component.initialize(lambda: examples[:500], nlp=nlp, labels=task.labels)
    optimizer = settings.new_optimizer()
    rng = random.Random(settings.seed)
    history: list[float] = []
    best, since_best = -1.0, 0
    for epoch in range(1, epochs + 1):
        losses: dict[str, float] = {}
        pool = _epoch_pool(examples, task.balance_by, settings.class_balance, rng)
        for batch in minibatch(pool, size=settings.batch_size):
            component.update(batch, sgd=optimizer, losses=losses)
        score = None
        if dev is not None:
            with component.model.use_params(optimizer.averages or {}):
                score = _dev_score(task, component, dev)
        progress(EpochReport(stage, epoch, epochs, losses.get(task.component, 0.0), score))
        if score is not None:
            history.append(score)
            if score > best + 1e-9:
                best, since_best = score, 0
            else:
                since_best += 1
                if since_best >= settings.patience:
                    break
    _keep_averages(component, optimizer)
    return history


def _keep_averages(component: TextCategorizer, optimizer: Optimizer) -> None:
    """With use_averages, the model keeps the running average of its weights (smoother than the last step)."""
    if not optimizer.averages:
        return
    for node in component.model.walk():
        for name in node.param_names:
            key = (node.id, name)
            if key in optimizer.averages:
                node.set_param(name, optimizer.averages[key].copy())


def _choose_epochs(config: Config, task: _Task, settings: Settings, progress: Progress, name: str) -> int:
    """Epochs that scored best on the internal development split (max_epochs when it is too small)."""
    in_dev = [split_bucket(key, "dev") < settings.dev_percent for key in task.keys]
    dev_rows = [i for i, dev in enumerate(in_dev) if dev]
    train_rows = [i for i, dev in enumerate(in_dev) if not dev]
    dev_labels = {task.balance_by[i] for i in dev_rows}
    if len(dev_rows) < 20 or len(dev_labels) < 2 or len({task.balance_by[i] for i in train_rows}) < 2:
        return settings.max_epochs
    nlp = _blank_pipeline(config, [task.component])
    history = _fit(nlp, task.subset(train_rows), settings, settings.max_epochs, progress,
                   f"{name} (choosing epochs)", dev=task.subset(dev_rows))
    return int(numpy.argmax(history)) + 1 if history else settings.max_epochs


def _train_component(config: Config, nlp: Language, task: _Task, settings: Settings, progress: Progress,
                     name: str) -> int:
    epochs = _choose_epochs(config, task, settings, progress, name)
    _fit(nlp, task, settings, epochs, progress, name)
    return epochs


def choose_threshold(truth: numpy.ndarray, scores: numpy.ndarray, recall_target: float) -> tuple[float, float, float]:
    """The highest threshold whose recall reaches the target: (threshold, recall, precision)."""
    positives = numpy.sort(scores[truth > 0])[::-1]
    if len(positives) == 0:
        return 0.5, 0.0, 0.0
    needed = min(len(positives), max(1, math.ceil(recall_target * len(positives))))
    threshold = float(positives[needed - 1])
    flagged = scores >= threshold
    recall = float((flagged & (truth > 0)).sum() / len(positives))
    precision = float((flagged & (truth > 0)).sum() / max(1, flagged.sum()))
    return threshold, recall, precision


def _urgency_threshold(config: Config, task: _Task, settings: Settings, epochs: int,
                       progress: Progress) -> tuple[float, dict[str, float]]:
    """Out-of-fold urgency scores on the training examples give the threshold that meets the recall target."""
    folds = [split_bucket(key, "urgency-fold") % settings.urgency_folds for key in task.keys]
    out_of_fold = numpy.zeros(len(task.keys), dtype="float32")
    for fold in range(settings.urgency_folds):
        train_rows = [i for i, f in enumerate(folds) if f != fold]
        test_rows = [i for i, f in enumerate(folds) if f == fold]
        if not test_rows:
            continue
        nlp = _blank_pipeline(config, [URGENCY])
        _fit(nlp, task.subset(train_rows), settings, epochs, progress,
             f"urgency (threshold, fold {fold + 1}/{settings.urgency_folds})")
        scores = _predict(_textcat(nlp, URGENCY), [task.docs[i] for i in test_rows])
        out_of_fold[test_rows] = scores[:, 0]
    truth = numpy.asarray([cats[URGENT_LABEL] for cats in task.cats])
    threshold, recall, precision = choose_threshold(truth, out_of_fold, settings.urgency_recall_target)
    return threshold, {"recall": round(recall, 4), "precision": round(precision, 4),
                       "target_recall": settings.urgency_recall_target, "folds": settings.urgency_folds}


def _theme_task(docs: list[Doc], examples: Sequence[LabelledText], labels: list[str]) -> _Task:
    cats = [{label: float(label == example.label) for label in labels} for example in examples]
    return _Task(THEME, labels, docs, cats, [e.text for e in examples], [e.label for e in examples])


def _urgency_task(docs: list[Doc], examples: Sequence[LabelledText]) -> _Task | None:
    rows = [i for i, example in enumerate(examples) if example.urgent is not None]
    flags = [bool(examples[i].urgent) for i in rows]
    if sum(flags) < 5 or len(flags) - sum(flags) < 5:
        return None
    return _Task(URGENCY, [URGENT_LABEL], [docs[i] for i in rows],
                 [{URGENT_LABEL: float(flag)} for flag in flags], [examples[i].text for i in rows],
                 ["urgent" if flag else "not" for flag in flags])


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
                 [examples[i].text for i in rows], targets)


def train_pipeline(examples: Sequence[LabelledText], config_path: Path | str = CONFIG_PATH,
                   progress: Progress = _silent) -> TrainedPipeline:
    """Train every classifier the examples support: theme always, urgency and actor when annotated."""
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
    epochs: dict[str, int] = {}
    threshold, urgency_cv, actor_codes = None, None, None
    for task in tasks:
        if task is None:
            continue
        name = {THEME: "theme", URGENCY: "urgency", ACTOR: "actor"}[task.component]
        epochs[name] = _train_component(config, nlp, task, settings, progress, name)
        if task.component == URGENCY:
            threshold, urgency_cv = _urgency_threshold(config, task, settings, epochs[name], progress)
        if task.component == ACTOR:
            actor_codes = [label[len(ACTOR_PREFIX):] for label in task.labels if label != NO_ACTOR]
    word_counts = Counter(token.lower_ for doc in docs for token in doc if token.is_alpha)
    return TrainedPipeline(
        nlp=nlp, labels=labels, urgency_threshold=threshold, urgency_cv=urgency_cv, actor_codes=actor_codes,
        epochs=epochs, word_counts=dict(word_counts), config_text=config.to_str(),
        seconds=round(time.perf_counter() - started, 1),
    )
