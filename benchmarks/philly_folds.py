"""Philadelphia bring-your-own-taxonomy: cross-validation inside the TRAINING split only, to choose settings.

    .venv/bin/python benchmarks/philly_folds.py svc civicwatch/classify/config/long_texts.cfg other.cfg ...

The complaints are those of `benchmarks/classifier.py` part 3 (`philly_split`); only its training part is read
here, split into FOLDS folds by position (every FOLDS-th complaint in turn). Each argument is a pipeline config
(trained with train_pipeline, the smoothed head's weight chosen inside training as always) or a baseline
("svc", "logistic_regression": TF-IDF 1-2-grams, trained on the same folds). Printed per fold and on average:
accuracy and macro-F1 of the held-out fold, and the CPU time of training. The test split is never read for a
decision: `benchmarks/classifier.py --only philly` measures it once, with the settings chosen here.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier import load_average, philly_split  # noqa: E402  (benchmarks/classifier.py)

from civicwatch.classify.classifier import Classifier  # noqa: E402
from civicwatch.classify.corpus import LabelledText  # noqa: E402
from civicwatch.classify.evaluation import baseline_report, label_report  # noqa: E402
from civicwatch.classify.gazetteer import GazetteerTerms  # noqa: E402
from civicwatch.classify.training import train_pipeline  # noqa: E402

FOLDS = 3
BASELINES = ("svc", "logistic_regression")


def fold_report(name: str, fit: list[LabelledText], held: list[LabelledText], labels: list[str]) -> dict:
    if name in BASELINES:
        return {**baseline_report(fit, held, name), "cpu": 0.0, "note": ""}
    started = time.process_time()
    trained = train_pipeline(fit, name)
    cpu = time.process_time() - started
    classifier = Classifier.from_pipeline(trained, GazetteerTerms(), "philly")
    probabilities = classifier.theme_probabilities(list(trained.nlp.pipe([e.text for e in held], batch_size=128)))
    predicted = [trained.labels[i] for i in probabilities.argmax(axis=1)]
    note = (f"head weight {trained.calibration.weight}, smoothing {trained.calibration.smoothing}, "
            f"epochs {trained.epochs['theme']}")
    return {**label_report([e.label for e in held], predicted, labels), "cpu": cpu, "note": note}


def main() -> None:
    train, _ = philly_split()
    labels = sorted({e.label for e in train})
    print(f"Philadelphia training split: {len(train)} complaints, {len(labels)} labels, {FOLDS} folds "
          f"(load average {load_average()})", flush=True)
    for name in sys.argv[1:]:
        reports = []
        for fold in range(FOLDS):
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
