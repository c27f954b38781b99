"""`civicwatch train` and `civicwatch evaluate`, and the `make run` model step. (`civicwatch classify`, which
routes what it reads, is in routing/cli.py.)"""
from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any

import click
from sqlalchemy.exc import SQLAlchemyError

from civicwatch.classify.classifier import Classifier, ModelLoadError
from civicwatch.classify.corpus import (
    DEFAULT_LABEL_FIELD,
    CorpusError,
    LabelledText,
    data_hash,
    read_examples,
    split_examples,
)
from civicwatch.classify.evaluation import baseline_report, evaluate_classifier
from civicwatch.classify.files import PIPELINE_CONFIG
from civicwatch.classify.operations import (
    activate_saved_model,
    correct_active_model_log,
    switch_active_model,
    text_hash,
    train_model,
    training_corrections,
)
from civicwatch.classify.registry import (
    ModelDirError,
    active_model_path,
    active_model_version,
    current_classifier,
    read_meta,
    trained_text_hashes,
)
from civicwatch.classify.training import EpochReport
from civicwatch.cli import WORKER_JOBS, WorkerJob, cli
from civicwatch.errors import DomainError
from civicwatch.extensions import db

PROJECT_DIR = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- train

def commit_then_switch(version: str, activate: bool) -> None:
    """Commit the audit entry of a training or an activation, then (`activate`) point ACTIVE at `version`: a
    refused commit leaves the model before active; a switch that fails after it is recorded in the log."""
    try:
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        raise click.ClickException(f"Model {version} was not made active: its audit entry could not be written "
                                   f"({type(exc).__name__}). The model before stays active.") from exc
    if not activate:
        return
    try:
        switch_active_model(version)
    except ModelDirError as exc:
        try:
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
        raise click.ClickException(exc.message) from exc


class ProgressDisplay:
    """One line per epoch (`train --verbose`): stage, a bar, the loss and the development score when there is one."""

    def __init__(self, stream: IO[str] | None = None, width: int = 20) -> None:
        self.stream = stream
        self.width = width
        self.started = time.perf_counter()

    def __call__(self, report: EpochReport) -> None:
        filled = round(self.width * report.epoch / max(1, report.epochs))
        bar = "#" * filled + "." * (self.width - filled)
        score = f"  dev {report.score:.3f}" if report.score is not None else ""
        click.echo(f"{report.stage:<38.38} [{bar}] {report.epoch:>2}/{report.epochs:<2} "
                   f"loss {report.loss:9.4f}{score}  {time.perf_counter() - self.started:6.1f}s", file=self.stream)


class ProgressBar:
    """One bar for a whole training: redrawn in place on a terminal, a line per tenth otherwise (a log).

    The share done is the one training reports; where a report carries none, it is an estimate:
    `STAGES_PER_RUN` stages a run (theme, urgency and actor, each choosing its epochs then training, and the
    urgency folds), of the runs a "1/2 " stage prefix names. It never goes back and never shows 100% before
    `finish()`.
    """

    STAGES_PER_RUN = 11
    WIDTH = 30

    def __init__(self, label: str = "Training the classifier", stream: IO[str] | None = None) -> None:
        self.label = label
        self.stream: IO[str] = stream if stream is not None else sys.stdout
        self.live = bool(self.stream.isatty())
        self.started = time.perf_counter()
        self.stages: list[str] = []
        self.done = 0.0
        self.printed_tenths = -1

    def __call__(self, report: EpochReport) -> None:
        run, runs, stage = _run_of(report.stage)
        if not self.stages or self.stages[-1] != report.stage:
            self.stages.append(report.stage)
        in_run = sum(1 for name in self.stages if _run_of(name)[0] == run) - 1
        within = min(in_run + report.epoch / max(1, report.epochs), self.STAGES_PER_RUN - 0.5)
        estimate = (run - 1 + within / self.STAGES_PER_RUN) / runs
        self.done = max(self.done, min(0.99, report.done if report.done > 0 else estimate))
        self._draw(stage)

    def finish(self) -> None:
        self.done = 1.0
        self._draw("done")
        if self.live:
            click.echo("", file=self.stream)

    def _draw(self, stage: str) -> None:
        tenths = int(self.done * 10)
        if not self.live and tenths == self.printed_tenths:
            return
        self.printed_tenths = tenths
        filled = round(self.WIDTH * self.done)
        elapsed = int(time.perf_counter() - self.started)
        line = (f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done:4.0%}  "
                f"{elapsed // 60}m{elapsed % 60:02d}s  {stage[:32]}")
        if self.live:
            click.echo(f"\r{line:<100}", file=self.stream, nl=False)
        else:
            click.echo(line, file=self.stream)


def _run_of(stage: str) -> tuple[int, int, str]:
    """(run, runs, stage without the prefix) of a stage name such as "2/2 theme (choosing epochs)"."""
    head, _, rest = stage.partition(" ")
    number, _, total = head.partition("/")
    if (number + total).isascii() and number.isdigit() and total.isdigit() and rest:
        return int(number), max(int(total), int(number)), rest
    return 1, 1, stage


def _train_summary(meta: dict[str, Any]) -> list[str]:
    data = meta["data"]
    lines = [f"Model {meta['version']} is active." if meta.get("active") else
             f"Model {meta['version']} saved, not active.",
             f"  trained on {data['trained_on']} examples ({data['corrections']} staff corrections), "
             f"{len(meta['labels'])} labels, in {meta['training_seconds']:.0f}s; data hash {data['hash'][:16]}"]
    metrics = (meta.get("metrics") or {}).get("held_out")
    if metrics:
        theme = metrics["theme"]
        lines.append(f"  held-out ({data['held_out']} examples, measured before they were used): "
                     f"macro-F1 {theme['macro_f1']:.3f}, accuracy {theme['accuracy']:.3f}")
        if metrics.get("routing"):
            routing = metrics["routing"]
            lines.append(f"  held-out at the triage threshold {routing['threshold']:.2f}: {routing['coverage']:.0%} "
                         f"routed, {routing['routed_accuracy']:.3f} of them right")
        if metrics.get("urgency"):
            urgency = metrics["urgency"]
            lines.append(f"  urgent: recall {urgency['recall']:.3f}, precision {urgency['precision']:.3f}")
    triage = meta.get("triage")
    if triage:
        lines.append(f"  triage threshold {triage['threshold']:.2f} (target accuracy of routed cases "
                     f"{triage['target']:.2f}; {triage['coverage']:.0%} routed on the development split)")
    return lines


@cli.command("train")
@click.option("--data", "data", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="JSONL file(s) of labelled examples; default: the project corpus. Repeat for several.")
@click.option("--label-field", default=DEFAULT_LABEL_FIELD, show_default=True,
              help="The key holding each example's label (for a deployment's own taxonomy).")
@click.option("--keep-held-out", is_flag=True,
              help="Keep the held-out split out of the saved model too (by default it is measured, then the "
                   "model is trained again on every example).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=str(PIPELINE_CONFIG),
              show_default=True, help="spaCy config file of the pipeline.")
@click.option("--verbose", is_flag=True, help="A line per epoch (loss, development score) instead of one bar.")
def train_command(data: tuple[str, ...], label_field: str, keep_held_out: bool, config_path: str,
                  verbose: bool) -> None:
    """Train the theme, urgency and actor classifiers and make the new model active."""
    bar = None if verbose else ProgressBar()
    try:
        result = train_model(list(data) or None, label_field=label_field, keep_held_out=keep_held_out,
                             config_path=config_path, progress=ProgressDisplay() if bar is None else bar)
    except DomainError as exc:  # the data or config (CorpusError), or MODEL_DIR (ModelDirError)
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    commit_then_switch(result.version, result.activated)
    if bar is not None:
        bar.finish()
    for line in _train_summary({**result.meta, "active": result.activated}) + result.notes:
        click.echo(line)


@cli.command("activate")
@click.argument("version")
def activate_command(version: str) -> None:
    """Make a saved model (a directory of MODEL_DIR) the active one again, such as the one before the last
    `train`; new cases are read by it from their next routing, in every process. Refused when the model cannot
    be loaded or gives labels that are not themes."""
    try:
        before = activate_saved_model(version)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    commit_then_switch(version, True)
    click.echo(f"Model {version} is active (before: {before or 'none'}).")


def prepare_model() -> str:
    """For `make run`: train and activate a model when none is active, or when the active one cannot be loaded
    (damaged, or saved by another spaCy version before an upgrade)."""
    version, path = active_model_version(), active_model_path()
    why = "No classifier model yet"
    if version is not None and path is not None:
        try:
            Classifier.load(path)
            return f"Classifier model {version} is active."
        except ModelLoadError as exc:
            why = f"The active classifier model {version} cannot be loaded ({exc})"
    click.echo(f"{why}: training one from the corpus, once. This takes 1 to 3 minutes on two cores (longer on a "
               "busy machine); later runs start at once.")
    bar = ProgressBar()
    try:
        result = train_model(progress=bar)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    commit_then_switch(result.version, result.activated)
    bar.finish()
    return "\n".join([f"{why}: a new one was trained."] + _train_summary({**result.meta, "active": result.activated})
                     + result.notes)


# ---------------------------------------------------------------- evaluate

def _model_training_examples(meta: dict[str, Any], label_field: str) -> tuple[list[LabelledText], str]:
    """The model's training data, rebuilt from its files and the corrections it used, for the baseline."""
    files = [PROJECT_DIR / name if not Path(name).is_absolute() else Path(name) for name in meta["data"]["files"]]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise CorpusError(f"the model's training file {missing[0]} is not here")
    examples = read_examples(files, meta.get("label_field", label_field))
    train = examples if meta["data"].get("held_out_in_model") else split_examples(examples)[0]
    if meta.get("label_field", DEFAULT_LABEL_FIELD) == DEFAULT_LABEL_FIELD:
        made = dt.datetime.fromisoformat(meta["created_at"]) if meta.get("created_at") else None
        train += training_corrections({e.label for e in examples}, made)[0]
    same = data_hash(train) == meta["data"]["hash"]
    return train, ("the same data as the model" if same else
                   "the model's files and corrections as they are now (they changed since it was trained)")


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths, strict=False)))
    return [line(header), line(["-" * w for w in widths])] + [line(row) for row in rows]


def format_report(report: dict[str, Any], baseline: dict[str, Any] | None, baseline_note: str) -> list[str]:
    theme = report["theme"]
    base = {row["label"]: row for row in (baseline or {}).get("labels", [])}
    rows = []
    for row in theme["labels"]:
        if not row["support"]:
            continue
        other = base.get(row["label"])
        rows.append([row["label"], f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                     f"{other['f1']:.3f}" if other else "-", str(row["support"])])
    lines = _table(rows, ["label", "P", "R", "F1", "baseline F1", "n"])
    lines.append("")
    base_macro = f"{baseline['macro_f1']:.3f}" if baseline else "-"
    base_accuracy = f"{baseline['accuracy']:.3f}" if baseline else "-"
    lines.append(f"macro-F1  pipeline {theme['macro_f1']:.3f}   TF-IDF + logistic regression {base_macro}")
    lines.append(f"accuracy  pipeline {theme['accuracy']:.3f}   TF-IDF + logistic regression {base_accuracy}")
    if baseline_note:
        lines.append(f"(baseline trained on {baseline_note})")
    if theme.get("declined"):
        lines.append(f"{theme['declined']} text(s) not read (no words, or mostly unknown words): counted as wrong")
    lines.append("")
    lines.append("confusion matrix (rows: true label, columns: predicted)")
    confusion = theme["confusion"]
    short = [label[:6] for label in confusion["columns"]]
    lines += _table([[row] + [str(n) for n in counts] for row, counts in zip(confusion["rows"], confusion["counts"], strict=False)],
                    ["true \\ predicted"] + short)
    lines.append("")
    for name in ("actor", "region", "district"):
        if report.get(f"{name}_accuracy") is not None:
            lines.append(f"{name} accuracy {report[f'{name}_accuracy']:.3f}")
    if report.get("urgency"):
        urgency = report["urgency"]
        lines.append(f"urgent    precision {urgency['precision']:.3f}  recall {urgency['recall']:.3f}  "
                     f"({urgency['urgent_examples']} urgent of {urgency['examples']})")
    return lines


def active_classifier_or_exit() -> Classifier:
    """The active model for a command, or the command stops with what to do (none active, or damaged)."""
    try:
        classifier = current_classifier()
    except ModelLoadError as exc:
        raise click.ClickException(f"The active classifier model cannot be used ({exc}). Train one again: "
                                   "flask --app wsgi civicwatch train") from exc
    if classifier is None:
        raise click.ClickException("No classifier model is active. Train one: flask --app wsgi civicwatch train")
    return classifier


@cli.command("evaluate")
@click.option("--data", "data", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False),
              help="JSONL file(s) of labelled examples. Repeat for several.")
@click.option("--label-field", default=None, help="The key holding the label (default: the model's).")
@click.option("--held-out", "held_out_only", is_flag=True, help="Only the held-out split of these files.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate_command(data: tuple[str, ...], label_field: str | None, held_out_only: bool, as_json: bool) -> None:
    """Measure the active model on labelled data, beside TF-IDF + logistic regression trained on the same data."""
    classifier = active_classifier_or_exit()
    path = active_model_path()
    if path is None:
        raise click.ClickException("No classifier model is active. Train one: flask --app wsgi civicwatch train")
    meta = read_meta(path)
    field = label_field or meta.get("label_field", DEFAULT_LABEL_FIELD)
    try:
        examples = read_examples(data, field)
    except CorpusError as exc:
        raise click.ClickException(exc.message) from exc
    if held_out_only:
        examples = split_examples(examples)[1]
    if not examples:
        raise click.ClickException("There are no examples to evaluate.")
    seen = trained_text_hashes(path)
    overlap = sum(1 for example in examples if text_hash(example.text) in seen)
    known = set(classifier.labels)
    unknown = dict(sorted(Counter(e.label for e in examples if e.label not in known).items()))
    train: list[LabelledText] | None = None
    try:
        train, note = _model_training_examples(meta, field)
    except (CorpusError, ValueError, KeyError) as exc:
        note = f"nothing: {exc}"
    db.session.rollback()  # everything is read: the minutes of classifying hold no database transaction open
    report = evaluate_classifier(classifier, examples)
    baseline = None
    if train is not None:
        try:
            baseline = baseline_report(train, examples)
        except (CorpusError, ValueError, KeyError) as exc:
            note = f"nothing: {exc}"
    if as_json:
        click.echo(json.dumps({"model_version": classifier.version, "examples": len(examples),
                               "seen_in_training": overlap, "unknown_labels": unknown, "pipeline": report,
                               "baseline": baseline}, indent=1))
        return
    click.echo(f"Model {classifier.version} on {len(examples)} examples")
    if unknown:
        click.echo(f"WARNING: {sum(unknown.values())} of these {len(examples)} examples have labels the model never "
                   f"gives ({', '.join(unknown)}): data of another taxonomy, or another --label-field?")
    if overlap:
        click.echo(f"WARNING: {overlap} of these examples were in the model's training data; "
                   "use --held-out or other data for a fair figure.")
    click.echo("")
    for line in format_report(report, baseline, note):
        click.echo(line)


# ---------------------------------------------------------------- the deliver worker

MODEL_LOG_CHECK_EVERY = dt.timedelta(hours=1)


def _correct_active_model_log() -> str:
    line = correct_active_model_log()
    db.session.commit()
    return line


WORKER_JOBS.append(WorkerJob("active model check", lambda app: MODEL_LOG_CHECK_EVERY, _correct_active_model_log))
