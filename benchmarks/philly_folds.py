"""Philadelphia bring-your-own-taxonomy: cross-validation inside the TRAINING split only, to choose settings.

    .venv/bin/python benchmarks/philly_folds.py svc civicwatch/classify/config/long_texts.cfg other.cfg ...
    .venv/bin/python benchmarks/philly_folds.py --fold=2 civicwatch/classify/config/long_texts.cfg  # one fold

The complaints are those of `benchmarks/classifier.py` part 3 (`philly_split`); only its training part is read
here, split into FOLDS folds by position (every FOLDS-th complaint in turn). Each argument is a pipeline config
(trained with train_pipeline, the smoothed head's weight chosen inside training as always) or a baseline
("svc", "logistic_regression": TF-IDF 1-2-grams, trained on the same folds). Printed per fold and on average:
accuracy and macro-F1 of the held-out fold, and the CPU time of training; for a pipeline, also the same fold's
model with the two-head mix (text classifier and smoothed head) the development split chose without the TF-IDF
head, so the two compare on the same training. The test split is never read for a
decision: `benchmarks/classifier.py --only philly` measures it once, with the settings chosen here.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier import load_average, philly_split  # noqa: E402  (benchmarks/classifier.py)

from civicwatch.classify.classifier import Classifier  # noqa: E402
from civicwatch.classify.corpus import LabelledText  # noqa: E402
from civicwatch.classify.evaluation import baseline_report, label_report  # noqa: E402
from civicwatch.classify.gazetteer import GazetteerTerms  # noqa: E402
from civicwatch.classify.smoothed import Calibration, NaiveBayes  # noqa: E402
from civicwatch.classify.text import prepare_text  # noqa: E402
from civicwatch.classify.training import (  # noqa: E402
    Settings,
    _feature_rows,
    load_pipeline_config,
    train_pipeline,
)

FOLDS = 3
BASELINES = ("svc", "logistic_regression")


def fold_report(name: str, fit: list[LabelledText], held: list[LabelledText], labels: list[str]) -> dict:
    if name in BASELINES:
        return {**baseline_report(fit, held, name), "cpu": 0.0, "note": ""}
    started = time.process_time()
    trained = train_pipeline(fit, name)
    cpu = time.process_time() - started
    classifier = Classifier.from_pipeline(trained, GazetteerTerms(), "philly")
    docs = list(trained.nlp.pipe([e.text for e in held], batch_size=128))
    probabilities = classifier.theme_probabilities(docs)
    predicted = [trained.labels[i] for i in probabilities.argmax(axis=1)]
    gold = [e.label for e in held]
    calibration = trained.calibration
    note = (f"head weight {calibration.weight}, smoothing {calibration.smoothing}, TF-IDF head weight "
            f"{calibration.linear_weight}, epochs {trained.epochs['theme']}")
    two_heads = (trained.calibration_report or {}).get("without_linear")
    if two_heads is not None:
        # The same fold's model with the two-head mix the development split chose without the TF-IDF head (the
        # smoothed head fitted again if that mix weighs it and the three-head mix did not).
        without = Calibration(two_heads["weight"], two_heads["smoothing"], two_heads["temperature"])
        if without.weight > 0 and (trained.head is None or without.smoothing != calibration.smoothing):
            rows = _feature_rows(trained.nlp, [trained.nlp.make_doc(prepare_text(e.text)) for e in fit],
                                 trained_settings(name).smoothed_buckets)
            assert rows is not None
            targets = numpy.asarray([trained.labels.index(e.label) for e in fit])
            head: NaiveBayes | None = NaiveBayes.fit(rows, targets, len(trained.labels),
                                                     trained_settings(name).smoothed_buckets, without.smoothing,
                                                     1.0 - trained_settings(name).class_balance)
        else:
            head = trained.head
        baseline = replace(trained, head=head, tfidf_head=None, calibration=without)
        two = Classifier.from_pipeline(baseline, GazetteerTerms(), "philly").theme_probabilities(docs)
        two_report = label_report(gold, [trained.labels[i] for i in two.argmax(axis=1)], labels)
        note += (f"; two heads (weight {without.weight}, smoothing {without.smoothing}): accuracy "
                 f"{two_report['accuracy']:.3f}, macro-F1 {two_report['macro_f1']:.3f}")
    return {**label_report(gold, predicted, labels), "cpu": cpu, "note": note}


def trained_settings(config: str) -> Settings:
    return Settings.from_config(load_pipeline_config(config))


def main() -> None:
    train, _ = philly_split()
    labels = sorted({e.label for e in train})
    print(f"Philadelphia training split: {len(train)} complaints, {len(labels)} labels, {FOLDS} folds "
          f"(load average {load_average()})", flush=True)
    # --fold=N (1..FOLDS, repeatable) runs only those folds: one process per fold uses both cores.
    chosen = [int(arg.split("=", 1)[1]) - 1 for arg in sys.argv[1:] if arg.startswith("--fold=")]
    for name in [arg for arg in sys.argv[1:] if not arg.startswith("--fold=")]:
        reports = []
        for fold in chosen or range(FOLDS):
            fit = [e for i, e in enumerate(train) if i % FOLDS != fold]
            held = [e for i, e in enumerate(train) if i % FOLDS == fold]
            report = fold_report(name, fit, held, labels)
            reports.append(report)
            print(f"  {Path(name).name} fold {fold + 1}: accuracy {report['accuracy']:.3f}, macro-F1 "
                  f"{report['macro_f1']:.3f} {report['note']} ({report['cpu']:.0f} s CPU)", flush=True)
        print(f"{Path(name).name}: accuracy {statistics.mean(r['accuracy'] for r in reports):.4f}, macro-F1 "
              f"{statistics.mean(r['macro_f1'] for r in reports):.4f} (load average {load_average()})", flush=True)


if __name__ == "__main__":
    main()
